using System.Text.Json;
using Bus.Persistence.Audit;

namespace Bus.Cli;

/// <summary>An anchor as a JSON file: <c>{"sequence": ..., "hash": "...", "at": "..."}</c>; never overwritten, since an anchor is evidence.</summary>
static class AuditAnchorFile
{
    public static async Task WriteAsync(string path, AuditAnchor anchor, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            await JsonSerializer.SerializeAsync(file, anchor, CliJson.Indented, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new CommandException($"{path} exists: an anchor is never overwritten; write each one to a new name ({ex.Message})");
        }
    }

    public static async Task<AuditAnchor> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = File.OpenRead(path);
            var anchor = await JsonSerializer.DeserializeAsync<AuditAnchor>(file, CliJson.Indented, cancellationToken).ConfigureAwait(false);
            return anchor is { Sequence: > 0, Hash.Length: 64 } ? anchor : throw new CommandException($"{path} is not an audit anchor (sequence, hash, at)");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandException($"could not read the anchor {path}: {ex.Message}");
        }
        catch (JsonException ex)
        {
            throw new CommandException($"{path} is not an audit anchor: {ex.Message}");
        }
    }
}
