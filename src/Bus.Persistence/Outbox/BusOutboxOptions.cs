namespace Bus.Persistence.Outbox;

/// <summary>How the transactional inbox/outbox behaves (section <c>Bus:Outbox</c>).</summary>
public sealed class BusOutboxOptions
{
    public const string SectionName = "Bus:Outbox";

    /// <summary>Run the delivery loop in this process. Off only for a host that must never publish (and in the crash tests).</summary>
    public bool DeliveryEnabled { get; set; } = true;

    /// <summary>
    /// When set, the loop delivers only the outboxes holding these message ids: a short-lived client (the operator
    /// CLI) writing into a host's database sends what it wrote with its own credentials, never the host's messages.
    /// </summary>
    public IReadOnlyCollection<Guid>? DeliverOnlyMessages { get; set; }

    /// <summary>How often the loop looks for work when no local commit woke it (work committed by other hosts, retries).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Outboxes claimed per round; each is delivered in order by one host.</summary>
    public int BatchSize { get; set; } = 50;

    /// <summary>How long a claim lasts: a host that dies mid-delivery releases its outboxes to the others after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between delivery attempts of a failing outbox (backoff doubles from one second).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a consumed message id is remembered (the duplicate-detection window) and delivered outboxes are kept.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a delivery's claim on a message id lasts without renewal. The claim is renewed while the consumer
    /// runs; a second delivery of the same message waits for the first to finish, or takes over once a dead host's
    /// claim has lapsed.
    /// </summary>
    public TimeSpan InboxLease { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A message the broker refuses for good (too large, a delay it cannot take) is tried this many times, then its
    /// outbox is set aside as dead: it stops blocking delivery, shows in health and in <c>bus errors outbox</c>.
    /// Transient failures (the broker unreachable) never make an outbox dead.
    /// </summary>
    public int MaxPermanentFailures { get; set; } = 3;

    /// <summary>Which send failures will not heal by trying again; the host adds its transport's own (message too large).</summary>
    public Func<Exception, bool> IsPermanent { get; set; } = ex => ex is ArgumentException or NotSupportedException or FormatException;

    /// <summary>Time allowed for one message's send to the broker.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
