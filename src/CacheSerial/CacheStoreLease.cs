namespace CacheSerial;

/// <summary>
/// An entry's bytes as a store hands them to the cache, with whatever keeps them alive: a pooled buffer, a client's
/// leased array, or nothing for a plain array. The cache reads <see cref="Data"/> and then disposes the lease exactly
/// once, which returns the buffer to its owner; a store that hands out a fresh array passes no owner.
/// </summary>
public readonly struct CacheStoreLease : IDisposable
{
    private readonly IDisposable? _owner;

    /// <summary>A found entry.</summary>
    /// <param name="data">The entry's bytes, valid until the lease is disposed.</param>
    /// <param name="owner">Disposed with the lease (returns <paramref name="data"/>'s buffer); null when nothing needs returning.</param>
    public CacheStoreLease(ReadOnlyMemory<byte> data, IDisposable? owner = null)
    {
        Data = data;
        _owner = owner;
        HasValue = true;
    }

    /// <summary>An absent entry.</summary>
    public static CacheStoreLease None => default;

    /// <summary>Whether the store found the entry.</summary>
    public bool HasValue { get; }

    /// <summary>The entry's bytes; empty when absent.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Gives the bytes back to their owner.</summary>
    public void Dispose() => _owner?.Dispose();
}
