namespace CacheSerial.Internal;

/// <summary>An entry's bytes as a read got them: the store's lease, or a reference to a read shared with other readers.</summary>
internal readonly struct StoredBytes : IDisposable
{
    private readonly CacheStoreLease _lease;
    private readonly SharedRead? _shared;

    public StoredBytes(CacheStoreLease lease)
    {
        _lease = lease;
        Data = lease.Data;
        Found = lease.HasValue;
    }

    public StoredBytes(SharedRead shared)
    {
        _shared = shared;
        Data = shared.Data;
        Found = true;
    }

    public static StoredBytes None => default;

    public bool Found { get; }

    public ReadOnlyMemory<byte> Data { get; }

    public void Dispose()
    {
        _lease.Dispose();
        _shared?.Release();
    }
}
