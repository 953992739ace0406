using Bus.Shared;

namespace Bus.Persistence.Outbox;

sealed class BusOutboxOptionsValidator : OptionsValidator<BusOutboxOptions>
{
    const string Section = BusOutboxOptions.SectionName;

    protected override IEnumerable<string> Failures(BusOutboxOptions options)
    {
        if (options.BatchSize <= 0)
            yield return $"{Section}:BatchSize must be positive; got {options.BatchSize}.";
        foreach (var (key, value) in new[]
        {
            ("PollInterval", options.PollInterval), ("LeaseDuration", options.LeaseDuration), ("MaxRetryDelay", options.MaxRetryDelay),
            ("Retention", options.Retention), ("InboxLease", options.InboxLease), ("CleanupInterval", options.CleanupInterval),
            ("SendTimeout", options.SendTimeout),
        })
        {
            if (value <= TimeSpan.Zero)
                yield return $"{Section}:{key} must be positive; got {value}.";
        }

        if (options.MaxPermanentFailures < 1)
            yield return $"{Section}:MaxPermanentFailures must be at least 1; got {options.MaxPermanentFailures}.";
    }
}
