namespace Bus.Ml;

/// <summary>A model as served: its version and ONNX Runtime session, disposed once the last request using it ends.</summary>
public sealed class ServedModel(string modelName, Guid versionId, string version, long revision, OnnxModel model)
{
    int _users = 1;

    public string ModelName { get; } = modelName;
    public Guid VersionId { get; } = versionId;
    public string Version { get; } = version;
    public long Revision { get; } = revision;
    public OnnxModel Model { get; } = model;

    internal bool TryAcquire()
    {
        while (true)
        {
            var users = Volatile.Read(ref _users);
            if (users == 0)
                return false;
            if (Interlocked.CompareExchange(ref _users, users + 1, users) == users)
                return true;
        }
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _users) == 0)
            Model.Dispose();
    }
}
