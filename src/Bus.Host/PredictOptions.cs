namespace Bus.Host;

/// <summary>The inference endpoint's limits: no burst of requests may starve the bus of threads or the host of memory.</summary>
public sealed class PredictOptions
{
    public bool RequireAuthentication { get; set; }
    public long MaxBodyBytes { get; set; } = 4L * 1024 * 1024;
    public int MaxInstances { get; set; } = 256;

    /// <summary>
    /// The activation budget of one request: its instances times what one sample of the requested shape takes at the
    /// model's peak (worked out from the graph before it runs); a request past it gets 413. The same default as
    /// Bus:Evaluation:Limits:MaxActivationBytes.
    /// </summary>
    public long MaxActivationBytes { get; set; } = Bus.Ml.ArtifactLimits.Default.MaxActivationBytes;

    /// <summary>Inferences running at once; the rest wait up to <see cref="QueueTimeout"/>, then get 503.</summary>
    public int MaxConcurrency { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Requests per second per client address (token bucket); 0 turns the limiter off.</summary>
    public int RequestsPerSecond { get; set; } = 200;
}
