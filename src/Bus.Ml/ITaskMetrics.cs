namespace Bus.Ml;

/// <summary>A task's metrics, accumulated one sample at a time: the model's output row against the sample's targets.</summary>
internal interface ITaskMetrics
{
    void Add(float[] row, ReadOnlySpan<float> target, long sample);

    EvaluationResult Result();
}
