using System.Buffers;

namespace CacheSerial.TestSupport.Fakes;

/// <summary>
/// An <see cref="ICacheStore"/> over an <see cref="InMemoryCacheStore"/> that a test steers: taken down (every call
/// throws), reads or writes held until released, reads counted per stored key (entries only: tag-marker reads are
/// neither counted nor held). The inner store's call log stays the
/// record of what was answered.
/// </summary>
public sealed class ControlledStore(InMemoryCacheStore inner) : ICacheStore
{
    private readonly Dictionary<string, int> _reads = new(StringComparer.Ordinal);
    private volatile TaskCompletionSource? _readGate;
    private volatile TaskCompletionSource? _writeGate;
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public InMemoryCacheStore Inner => inner;

    /// <summary>While true, every call throws <see cref="ChaosException"/>, as a dead server would.</summary>
    public bool Down { get; set; }

    /// <summary>The server-assisted invalidation this store offers (a fake); none by default.</summary>
    public ICacheStoreInvalidation? Invalidation { get; set; }

    /// <summary>Reads (answered now) are handed back only after <see cref="Release"/>.</summary>
    public void HoldReads() => _readGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Writes reach the inner store only after <see cref="Release"/>.</summary>
    public void HoldWrites() => _writeGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets held reads and writes go on; later ones are not held.</summary>
    public void Release()
    {
        var reads = _readGate;
        var writes = _writeGate;
        _readGate = null;
        _writeGate = null;
        reads?.TrySetResult();
        writes?.TrySetResult();
    }

    /// <summary>Completes once a call is being held.</summary>
    public Task WhenHoldingAsync(CancellationToken cancellationToken) => _held.Task.WaitAsync(cancellationToken);

    public int ReadsOf(string storeKey)
    {
        lock (_reads)
        {
            return _reads.GetValueOrDefault(storeKey);
        }
    }

    public int Reads
    {
        get
        {
            lock (_reads)
            {
                return _reads.Values.Sum();
            }
        }
    }

    public async ValueTask<CacheStoreLease> GetAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        if (TagMarkerKeys.IsMarker(key))
        {
            return await inner.GetAsync(key, slidingExpiration, cancellationToken); // not an entry: neither counted nor held
        }

        lock (_reads)
        {
            _reads[key] = _reads.GetValueOrDefault(key) + 1;
        }

        var lease = await inner.GetAsync(key, slidingExpiration, cancellationToken);
        if (_readGate is { } gate)
        {
            _held.TrySetResult();
            await gate.Task;
        }

        return lease;
    }

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        if (_writeGate is { } gate)
        {
            var copy = new ReadOnlySequence<byte>(value.ToArray()); // the caller's buffer may go back to its pool
            _held.TrySetResult();
            await gate.Task;
            await inner.SetAsync(key, copy, options, cancellationToken);
            return;
        }

        await inner.SetAsync(key, value, options, cancellationToken);
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        return inner.RemoveAsync(key, cancellationToken);
    }

    public ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        return inner.RefreshAsync(key, slidingExpiration, cancellationToken);
    }

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new ChaosException("the store is down");
        }
    }
}
