using System.Globalization;

namespace Bus.Ml.Sizing;

/// <summary>
/// What running a model asks of memory for one sample of a given shape, worked out from its graph before it runs
/// (<see cref="ShapeInference"/>): the largest intermediate tensor, and the peak working set of any one operator (its
/// inputs, its outputs and, for a convolution, its unfolded-patch buffer). Every figure is in float elements and grows
/// with the batch. A model with an operator that cannot be sized ahead has <see cref="Unsized"/> set and no figures.
/// </summary>
public sealed record ActivationEstimate(long Largest, string LargestAt, long Peak, string PeakAt, long OutputElements, string? Unsized = null)
{
    const long BytesPerElement = sizeof(float);

    /// <summary>The peak for one sample, in bytes (saturating).</summary>
    public long PeakBytes => Bytes(Peak);

    /// <summary>The largest intermediate for one sample, in bytes (saturating).</summary>
    public long LargestBytes => Bytes(Largest);

    /// <summary>A model with an operator the estimate cannot size: no figures, and one sample per batch.</summary>
    public static ActivationEstimate NotSized(string reason) => new(0, "-", 0, "-", 0, reason);

    /// <summary>
    /// Refuses a model that passes <paramref name="budget"/> with one sample: its largest intermediate or its peak.
    /// <paramref name="what"/> says which model and shape, for the message.
    /// </summary>
    public void CheckOneSample(ActivationBudget budget, string what)
    {
        if (Unsized is not null)
            return;
        if (LargestBytes > budget.MaxBytes)
            throw new ModelConversionException($"{what}: the tensor of {LargestAt} holds {Largest:N0} values per sample ({Mib(LargestBytes)}); the " +
                $"activation budget is {budget}");
        if (PeakBytes > budget.MaxBytes)
            throw new ModelConversionException($"{what}: {PeakAt} works on {Peak:N0} values at once per sample ({Mib(PeakBytes)}); the activation " +
                $"budget is {budget}");
    }

    /// <summary>
    /// The largest batch, at most <paramref name="preferred"/>, whose peak stays within <paramref name="budget"/> (one for
    /// a model that cannot be sized); refused when even one sample passes it.
    /// </summary>
    public int BatchSize(int preferred, ActivationBudget budget, string what)
    {
        if (Unsized is not null)
            return 1;
        CheckOneSample(budget, what);
        return (int)Math.Clamp(budget.MaxBytes / Math.Max(1, PeakBytes), 1, Math.Max(1, preferred));
    }

    /// <summary>Refuses <paramref name="batch"/> samples when their peak passes <paramref name="budget"/>.</summary>
    public void CheckBatch(int batch, ActivationBudget budget, string what)
    {
        var fits = BatchSize(batch, budget, what);
        if (Unsized is null && fits < batch)
            throw new ModelConversionException($"{what}: {batch} samples need about {Mib((double)PeakBytes * batch)} at {PeakAt}; the activation budget " +
                $"is {budget}, which holds {fits} at a time");
    }

    static long Bytes(long elements) => elements > long.MaxValue / BytesPerElement ? long.MaxValue : elements * BytesPerElement;

    internal static string Mib(double bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024 * 1024):0.#} MiB");
}

/// <summary>A limit on the activations of one run, and the setting it comes from (for the refusal's message).</summary>
public readonly record struct ActivationBudget(long MaxBytes, string Setting)
{
    public override string ToString() => $"{ActivationEstimate.Mib(MaxBytes)} ({Setting})";
}
