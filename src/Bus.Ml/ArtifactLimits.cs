namespace Bus.Ml;

/// <summary>
/// What a candidate's artifact and an evaluation set may ask of a host (configuration section
/// <c>Bus:Evaluation:Limits</c>). Every figure is checked, with checked arithmetic, before anything of that size is
/// allocated; a candidate over a limit fails its version with the reason.
/// </summary>
public sealed class ArtifactLimits
{
    /// <summary>model.json plus its shards, or the .onnx file.</summary>
    public long MaxArtifactBytes { get; set; } = 512L * 1024 * 1024;

    public long MaxShardBytes { get; set; } = 256L * 1024 * 1024;
    public int MaxShards { get; set; } = 1024;
    public int MaxLayers { get; set; } = 5_000;

    /// <summary>All weights of a model together.</summary>
    public long MaxParameters { get; set; } = 100_000_000;

    /// <summary>Any one tensor: a weight, a declared input or target shape, a sample.</summary>
    public long MaxTensorElements { get; set; } = 100_000_000;

    /// <summary>
    /// The activation budget: the memory one run of a model may take for its intermediate tensors, worked out from its
    /// graph before it runs (<see cref="Sizing.ActivationEstimate"/>). A model whose largest intermediate or peak passes
    /// it with one sample is refused; evaluation batches are made small enough to stay within it.
    /// </summary>
    public long MaxActivationBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary><see cref="MaxActivationBytes"/> with the setting it comes from.</summary>
    public Sizing.ActivationBudget Activations => new(MaxActivationBytes, "Bus:Evaluation:Limits:MaxActivationBytes");

    public long MaxDataSetBytes { get; set; } = 1024L * 1024 * 1024;
    public int MaxValidationSamples { get; set; } = 1_000_000;

    /// <summary>The confusion matrix holds classes² cells.</summary>
    public int MaxClasses { get; set; } = 1_000;

    /// <summary>ONNX opsets accepted for the default domain.</summary>
    public int MinOpset { get; set; } = 7;

    public int MaxOpset { get; set; } = 21;

    public static ArtifactLimits Default { get; } = new();

    /// <summary>A product of dimensions, refused when a dimension is not positive or the product passes <paramref name="max"/>.</summary>
    public static long Elements(IEnumerable<long> shape, long max, string what)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d <= 0)
                throw new ModelConversionException($"{what} has a dimension of {d}");
            try
            {
                count = checked(count * d);
            }
            catch (OverflowException)
            {
                throw new ModelConversionException($"{what} has more than {max:N0} elements (the limit)");
            }

            if (count > max)
                throw new ModelConversionException($"{what} has more than {max:N0} elements (the limit)");
        }

        return count;
    }

    /// <summary>Adds a weight's <paramref name="count"/> to the model's running <paramref name="total"/>, refused past <see cref="MaxParameters"/>.</summary>
    public void AddParameters(ref long total, long count)
    {
        total += count;
        if (total > MaxParameters)
            throw new ModelConversionException($"the model has more than {MaxParameters:N0} parameters (the limit)");
    }

    public void CheckBytes(long bytes, long max, string what)
    {
        if (bytes > max)
            throw new ModelConversionException($"{what} is {bytes:N0} bytes; the limit is {max:N0}");
    }
}
