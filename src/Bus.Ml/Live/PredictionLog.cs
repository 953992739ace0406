using System.Collections.Concurrent;

namespace Bus.Ml.Live;

/// <summary>
/// The answers a client may still send a label for: each prediction's id, the version that answered and what it said,
/// kept for <see cref="Window"/> and at most <see cref="Capacity"/> of them (the oldest go first).
/// </summary>
public sealed class PredictionLog(int capacity = 100_000, TimeSpan? window = null)
{
    readonly ConcurrentDictionary<Guid, Entry> _answers = new();
    readonly ConcurrentQueue<(Guid Id, long At)> _order = new();

    public int Capacity { get; } = capacity;
    public TimeSpan Window { get; } = window ?? TimeSpan.FromHours(1);

    public Guid Add(string modelName, Guid versionId, float[] answer)
    {
        var id = Guid.NewGuid();
        var now = Environment.TickCount64;
        _answers[id] = new Entry(modelName, versionId, answer, now);
        _order.Enqueue((id, now));
        while (_answers.Count > Capacity || (_order.TryPeek(out var oldest) && now - oldest.At > Window.TotalMilliseconds))
        {
            if (!_order.TryDequeue(out var gone))
                break;
            _answers.TryRemove(gone.Id, out _);
        }

        return id;
    }

    /// <summary>The answer of a prediction, taken (a label counts once); null when unknown or past the window.</summary>
    public Entry? Take(Guid id) =>
        _answers.TryRemove(id, out var answer) && Environment.TickCount64 - answer.At <= Window.TotalMilliseconds ? answer : null;

    /// <summary>What a shadow candidate answered to the same request, so that a label for it measures the candidate too.</summary>
    public void AttachShadow(Guid id, Guid versionId, float[] answer)
    {
        if (_answers.TryGetValue(id, out var entry))
            _answers.TryUpdate(id, entry with { ShadowVersionId = versionId, ShadowAnswer = answer }, entry);
    }

    /// <summary>One answer: its model and version, what it said, when; and a shadow candidate's answer to the same request, if any.</summary>
    public sealed record Entry(string ModelName, Guid VersionId, float[] Answer, long At)
    {
        public Guid? ShadowVersionId { get; init; }
        public float[]? ShadowAnswer { get; init; }
    }
}
