using System.Collections.Concurrent;

namespace Bus.Ml;

/// <summary>
/// The inference side: the current model per name. Swapping in a new version never fails a request in flight:
/// a request holds the model it started with, and the old session is disposed when the last one finishes.
/// </summary>
public sealed class ModelServer : IDisposable
{
    readonly ConcurrentDictionary<string, ServedModel> _models = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ServedModel> Models => _models.Values.ToList();

    public void Swap(ServedModel model)
    {
        ServedModel? old = null;
        _models.AddOrUpdate(model.ModelName, model, (_, existing) =>
        {
            if (existing.Revision > model.Revision)
            {
                old = model;
                return existing;
            }

            old = existing;
            return model;
        });
        old?.Release();
    }

    /// <summary>Runs <paramref name="use"/> against the current model of the name; null when none is served.</summary>
    public T? Use<T>(string modelName, Func<ServedModel, T> use)
        where T : class
    {
        while (_models.TryGetValue(modelName, out var served))
        {
            if (!served.TryAcquire())
                continue;
            try
            {
                return use(served);
            }
            finally
            {
                served.Release();
            }
        }

        return null;
    }

    public void Dispose()
    {
        foreach (var model in _models.Values)
            model.Release();
        _models.Clear();
    }
}
