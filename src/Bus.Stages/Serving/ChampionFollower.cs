using Bus.Ml;
using Bus.Registry;
using Microsoft.Extensions.Logging;

namespace Bus.Stages.Serving;

/// <summary>
/// Makes this host serve what the registry's production alias says, for one model or all of them. Models only move
/// forward: a host already serving that alias revision (or a newer one) does nothing.
/// </summary>
public sealed class ChampionFollower(ModelRegistry registry, S3ArtifactStore store, ModelServer server, ILogger<ChampionFollower> logger)
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, (AliasRecord Alias, string Reason)> _problems = new(StringComparer.Ordinal);
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, (AliasRecord Alias, string Reason)> _changed = new(StringComparer.Ordinal);

    volatile bool _readRegistry;

    /// <summary>True once this host has read the whole registry and tried every champion in it (readiness waits for it).</summary>
    public bool HasReadRegistry => _readRegistry;

    /// <summary>Champions this host could not load and does not serve yet, with the reason (a health signal).</summary>
    public IReadOnlyList<(AliasRecord Alias, string Reason)> Problems =>
        _problems.Values.Where(p => Behind(p.Alias)).OrderBy(p => p.Alias.ModelName, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Champions this host serves from memory whose artifact in S3 no longer reads as the one deployed (overwritten or
    /// deleted): the host keeps serving them, but a restart or another replica could not load them (a health signal).
    /// </summary>
    public IReadOnlyList<(AliasRecord Alias, string Reason)> Changed =>
        _changed.Values.Where(c => !Behind(c.Alias)).OrderBy(c => c.Alias.ModelName, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Reads every served champion's artifact again and checks it against the sha256 it was deployed with; a champion whose
    /// artifact changed is reported (<see cref="Changed"/>), not unloaded. Transient failures leave the last answer as it is.
    /// </summary>
    public async Task VerifyServedAsync(CancellationToken cancellationToken)
    {
        foreach (var alias in await registry.AllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Behind(alias))
                continue;
            try
            {
                await store.LoadOnnxAsync(alias.Artifact, cancellationToken).ConfigureAwait(false);
                _changed.TryRemove(alias.ModelName, out _);
            }
            catch (ModelConversionException ex)
            {
                if (_changed.TryAdd(alias.ModelName, (alias, ex.Message)))
                    logger.LogWarning("The artifact of {ModelName} {ModelVersion}, served from memory, no longer reads as deployed: {Reason}", alias.ModelName,
                        alias.ModelVersion, ex.Message);
            }
        }
    }

    /// <summary>Serves the alias of <paramref name="modelName"/> if it is newer than what is served; null when there is no alias.</summary>
    public async Task<(AliasRecord Alias, bool Swapped)?> CatchUpAsync(string modelName, CancellationToken cancellationToken)
    {
        var alias = await registry.ChampionAsync(modelName, cancellationToken).ConfigureAwait(false);
        return alias is null ? null : (alias, await ServeAsync(alias, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Every model in the registry; a model whose artifact cannot be loaded is reported and left as it is.</summary>
    public async Task<IReadOnlyList<(AliasRecord Alias, Exception Error)>> CatchUpAllAsync(CancellationToken cancellationToken)
    {
        var failures = new List<(AliasRecord, Exception)>();
        foreach (var alias in await registry.AllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await ServeAsync(alias, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures.Add((alias, ex));
            }
        }

        _readRegistry = true;
        return failures;
    }

    async Task<bool> ServeAsync(AliasRecord alias, CancellationToken cancellationToken)
    {
        if (!Behind(alias))
            return false;

        OnnxModel model;
        try
        {
            model = OnnxModel.Load(await store.LoadOnnxAsync(alias.Artifact, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _problems[alias.ModelName] = (alias, ex.Message);
            throw;
        }

        server.Swap(new ServedModel(alias.ModelName, alias.ModelVersionId, alias.ModelVersion, alias.Revision, model));
        _problems.TryRemove(alias.ModelName, out _);
        _changed.TryRemove(alias.ModelName, out _);
        logger.LogInformation("Serving {ModelName} {ModelVersion} (alias revision {Revision})", alias.ModelName, alias.ModelVersion, alias.Revision);
        return true;
    }

    bool Behind(AliasRecord alias) =>
        server.Models.FirstOrDefault(s => s.ModelName == alias.ModelName) is not { } served || served.Revision < alias.Revision;
}
