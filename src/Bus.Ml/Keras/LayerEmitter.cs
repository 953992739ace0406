namespace Bus.Ml.Keras;

/// <summary>Emits the ONNX nodes of one Keras layer and returns the tensor that is its output.</summary>
internal delegate string LayerEmitter(KerasLayer layer);
