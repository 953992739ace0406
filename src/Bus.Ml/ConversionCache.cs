namespace Bus.Ml;

/// <summary>
/// Converted models by (artifact URI, sha256), least recently used first out, bounded by bytes. It saves a conversion,
/// never a read: the artifact is always read from its URI and its sha256 checked before the cache is asked.
/// </summary>
public sealed class ConversionCache(long maxBytes)
{
    readonly LinkedList<(string Key, byte[] Onnx)> _order = new();
    readonly Dictionary<string, LinkedListNode<(string Key, byte[] Onnx)>> _byKey = new(StringComparer.Ordinal);
    long _bytes;

    public long Bytes
    {
        get
        {
            lock (_order)
                return _bytes;
        }
    }

    /// <summary>The same bytes announced as another format are another artifact: its signature is checked anew.</summary>
    public static string KeyOf(ArtifactReference artifact) => $"{artifact.Sha256.ToLowerInvariant()} {artifact.Format} {artifact.Uri}";

    public bool TryGet(ArtifactReference artifact, out byte[] onnx)
    {
        lock (_order)
        {
            if (_byKey.TryGetValue(KeyOf(artifact), out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                onnx = node.Value.Onnx;
                return true;
            }
        }

        onnx = [];
        return false;
    }

    public void Add(ArtifactReference artifact, byte[] onnx)
    {
        if (onnx.LongLength > maxBytes)
            return;
        var key = KeyOf(artifact);
        lock (_order)
        {
            if (_byKey.ContainsKey(key))
                return;
            _byKey[key] = _order.AddFirst((key, onnx));
            _bytes += onnx.LongLength;
            while (_bytes > maxBytes && _order.Last is { } last)
            {
                _order.RemoveLast();
                _byKey.Remove(last.Value.Key);
                _bytes -= last.Value.Onnx.LongLength;
            }
        }
    }
}
