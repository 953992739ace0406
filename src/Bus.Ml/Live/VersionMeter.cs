using Bus.Contracts;

namespace Bus.Ml.Live;

/// <summary>
/// What one served version did since the last report: requests, model errors, latency histogram, answers by class, the
/// mirrored comparisons with the other version and the clients' labels. Counted without locks (each request touches a
/// few counters); <see cref="Take"/> hands them over and starts again.
/// </summary>
public sealed class VersionMeter(Guid versionId)
{
    /// <summary>Answers of one output are counted by tenth of [0, 1] (a binary classifier's probability).</summary>
    const int OneOutputBins = 10;
    const int MaxClasses = 1000;

    long[] _latency = new long[LatencyBuckets.UpperBoundsMs.Count];
    long[] _outputs = [];
    long _requests, _errors, _compared, _agreed, _labeled, _correct;
    double _absoluteDifference, _squaredError;
    readonly Lock _sums = new();

    public Guid VersionId { get; } = versionId;

    /// <summary>
    /// A request answered (or failed) after <paramref name="milliseconds"/>; <paramref name="answer"/> is its row of outputs
    /// when it succeeded.
    /// </summary>
    public void Request(double milliseconds, float[]? answer)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref Volatile.Read(ref _latency)[LatencyBuckets.Of(milliseconds)]);
        if (answer is null)
        {
            Interlocked.Increment(ref _errors);
            return;
        }

        var bin = Bin(answer);
        var outputs = Volatile.Read(ref _outputs);
        if (bin >= outputs.Length)
        {
            lock (_sums)
            {
                if (bin >= _outputs.Length)
                {
                    var width = Math.Min(MaxClasses, Math.Max(bin + 1, answer.Length == 1 ? OneOutputBins : answer.Length));
                    _outputs = [.. _outputs, .. new long[width - _outputs.Length]];
                }

                outputs = _outputs;
            }
        }

        Interlocked.Increment(ref outputs[Math.Min(bin, outputs.Length - 1)]);
    }

    /// <summary>A mirrored request: this version's answer against the other version's on the same input.</summary>
    public void Compared(float[] mine, float[] theirs)
    {
        Interlocked.Increment(ref _compared);
        if (ClassOf(mine) == ClassOf(theirs))
            Interlocked.Increment(ref _agreed);
        var difference = mine.Zip(theirs, (a, b) => Math.Abs((double)a - b)).DefaultIfEmpty(0).Average();
        lock (_sums)
            _absoluteDifference += difference;
    }

    /// <summary>A client's label for one of this version's answers.</summary>
    public void Labeled(float[] answer, double label)
    {
        Interlocked.Increment(ref _labeled);
        if (answer.Length > 1 ? ClassOf(answer) == (int)label : (answer[0] >= 0.5) == (label >= 0.5))
            Interlocked.Increment(ref _correct);
        if (answer.Length == 1)
        {
            lock (_sums)
                _squaredError += (answer[0] - label) * (answer[0] - label);
        }
    }

    /// <summary>The counts since the last call, as a report's window, and a fresh start.</summary>
    public VersionWindow Take()
    {
        lock (_sums)
        {
            var window = new VersionWindow
            {
                ModelVersionId = VersionId,
                Requests = Interlocked.Exchange(ref _requests, 0),
                Errors = Interlocked.Exchange(ref _errors, 0),
                Latency = Interlocked.Exchange(ref _latency, new long[LatencyBuckets.UpperBoundsMs.Count]),
                Outputs = Interlocked.Exchange(ref _outputs, new long[_outputs.Length]),
                Compared = Interlocked.Exchange(ref _compared, 0),
                Agreed = Interlocked.Exchange(ref _agreed, 0),
                AbsoluteDifference = _absoluteDifference,
                Labeled = Interlocked.Exchange(ref _labeled, 0),
                Correct = Interlocked.Exchange(ref _correct, 0),
                SquaredError = _squaredError,
            };
            (_absoluteDifference, _squaredError) = (0, 0);
            // A request counted between the exchanges above lands in one window or the next, never in both; the histograms
            // are made to agree with the request count a report must add up to.
            return Consistent(window);
        }
    }

    static VersionWindow Consistent(VersionWindow w)
    {
        var latency = w.Latency.Sum();
        var requests = Math.Max(w.Requests, Math.Max(latency, w.Outputs.Sum()));
        var latencyCounts = w.Latency.ToArray();
        latencyCounts[0] += requests - latency;
        return w with
        {
            Requests = requests,
            Errors = Math.Min(w.Errors, requests),
            Latency = latencyCounts,
            Agreed = Math.Min(w.Agreed, w.Compared),
            Correct = Math.Min(w.Correct, w.Labeled),
        };
    }

    static int ClassOf(float[] answer) => answer.Length == 1 ? (answer[0] >= 0.5 ? 1 : 0) : ClassificationMetrics.ArgMax(answer);

    static int Bin(float[] answer) => answer.Length == 1
        ? (int)Math.Clamp(Math.Floor(answer[0] * OneOutputBins), 0, OneOutputBins - 1)
        : Math.Min(ClassificationMetrics.ArgMax(answer), MaxClasses - 1);
}
