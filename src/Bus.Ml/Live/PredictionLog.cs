using System.Collections.Concurrent;

namespace Bus.Ml.Live;

/// <summary>
/// The answers a client may still send a label for: each prediction's id, the version that answered and what it said,
/// kept for <see cref="Window"/> and at most <see cref="Capacity"/> of them (the oldest go first).
/// </summary>
public sealed class PredictionLog(int capacity = 100_000, TimeSpan? window = null)
{
    readonly ConcurrentDictionary<Guid, (string ModelName, Guid VersionId, float[] Answer, long At)> _answers = new();
    readonly ConcurrentQueue<(Guid Id, long At)> _order = new();

    public int Capacity { get; } = capacity;
    public TimeSpan Window { get; } = window ?? TimeSpan.FromHours(1);

    public Guid Add(string modelName, Guid versionId, float[] answer)
    {
        var id = Guid.NewGuid();
        var now = Environment.TickCount64;
        _answers[id] = (modelName, versionId, answer, now);
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
    public (string ModelName, Guid VersionId, float[] Answer)? Take(Guid id) =>
        _answers.TryRemove(id, out var answer) && Environment.TickCount64 - answer.At <= Window.TotalMilliseconds
            ? (answer.ModelName, answer.VersionId, answer.Answer) : null;
}
