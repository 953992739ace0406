namespace Bus.Ml.Keras;

/// <summary>One float32 weight as the manifest gives it: its shape and its values in row-major order.</summary>
internal readonly record struct KerasTensor(int[] Shape, float[] Values);
