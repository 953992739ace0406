using System.Collections.Concurrent;
using Bus.Ml.Live;

namespace Bus.Ml;

/// <summary>
/// The inference side: the current model per name, and during a rollout a candidate beside it that takes a share of the
/// callers. Swapping in a new version never fails a request in flight: a request holds the model it started with, and
/// the old session is disposed when the last one finishes. Each served version is measured (<see cref="Meter"/>) and
/// its answers kept for the clients' labels (<see cref="Predictions"/>).
/// </summary>
public sealed class ModelServer : IDisposable
{
    readonly ConcurrentDictionary<string, ServedModel> _models = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, CandidateRoute> _routes = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<Guid, VersionMeter> _meters = new();

    public IReadOnlyCollection<ServedModel> Models => _models.Values.ToList();

    /// <summary>Candidates under rollout, by model name.</summary>
    public IReadOnlyCollection<CandidateRoute> Routes => _routes.Values.ToList();

    public PredictionLog Predictions { get; } = new();

    /// <summary>The measurements of one served version (champion or candidate).</summary>
    public VersionMeter Meter(Guid versionId) => _meters.GetOrAdd(versionId, id => new VersionMeter(id));

    /// <summary>The champion of a name, if one is served.</summary>
    public ServedModel? Champion(string modelName) => _models.GetValueOrDefault(modelName);

    /// <summary>The candidate of a name under rollout, if any.</summary>
    public CandidateRoute? RouteOf(string modelName) => _routes.GetValueOrDefault(modelName);

    /// <summary>
    /// Puts <paramref name="route"/>'s candidate beside its model's champion (or changes the share of the same candidate,
    /// releasing the model given). A candidate that already is the champion is not routed.
    /// </summary>
    public void Route(CandidateRoute route)
    {
        var name = route.Candidate.ModelName;
        if (_models.TryGetValue(name, out var champion) && champion.VersionId == route.Candidate.VersionId)
        {
            route.Candidate.Release();
            return;
        }

        CandidateRoute? replaced = null;
        var kept = _routes.AddOrUpdate(name, route, (_, existing) =>
        {
            if (existing.Candidate.VersionId == route.Candidate.VersionId)
                return existing with
                {
                    TrafficPercent = route.TrafficPercent,
                    AgreementSample = route.AgreementSample,
                    ReportInterval = route.ReportInterval,
                    Shadow = route.Shadow,
                };
            replaced = existing;
            return route;
        });
        if (!ReferenceEquals(kept.Candidate, route.Candidate))
            route.Candidate.Release();
        replaced?.Candidate.Release();
    }

    /// <summary>Stops routing to <paramref name="versionId"/> (its rollout ended); the candidate is disposed once its last request ends.</summary>
    public bool EndRoute(string modelName, Guid versionId)
    {
        if (!_routes.TryGetValue(modelName, out var route) || route.Candidate.VersionId != versionId
            || !_routes.TryRemove(new KeyValuePair<string, CandidateRoute>(modelName, route)))
            return false;
        route.Candidate.Release();
        return true;
    }

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
        // The candidate became the champion (its rollout was promoted): it is served as the champion now.
        EndRoute(model.ModelName, model.VersionId);
    }

    /// <summary>Runs <paramref name="use"/> against the candidate of the name under rollout; null when there is none.</summary>
    public T? UseCandidate<T>(string modelName, Func<ServedModel, T> use)
        where T : class
    {
        if (!_routes.TryGetValue(modelName, out var route) || !route.Candidate.TryAcquire())
            return null;
        try
        {
            return use(route.Candidate);
        }
        finally
        {
            route.Candidate.Release();
        }
    }

    /// <summary>
    /// As <see cref="Use{T}(string, Func{ServedModel, T})"/>, for a caller known by <paramref name="routeKey"/>: the
    /// candidate under rollout when the caller falls in its share, else the champion; <c>true</c> is passed for the candidate.
    /// </summary>
    public T? Use<T>(string modelName, string routeKey, Func<ServedModel, bool, T> use)
        where T : class
    {
        if (_routes.TryGetValue(modelName, out var route) && route.Takes(routeKey) && route.Candidate.TryAcquire())
        {
            try
            {
                return use(route.Candidate, true);
            }
            finally
            {
                route.Candidate.Release();
            }
        }

        return Use(modelName, served => use(served, false));
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
        foreach (var route in _routes.Values)
            route.Candidate.Release();
        _routes.Clear();
    }
}
