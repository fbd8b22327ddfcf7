namespace CacheSerial.Internal;

/// <summary>What concurrent reads share: the stored key and the sliding expiration the read renews.</summary>
internal readonly record struct SharedReadKey(string StoreKey, TimeSpan? SlidingExpiration);

/// <summary>
/// One store read that concurrent readers of the same key wait on. The bytes sit in one pooled buffer, counted: the
/// store call holds one reference and each waiter one, and the buffer goes back to the pool when the last is released.
/// Each waiter decodes the bytes itself, so no decoded instance is shared.
/// </summary>
internal sealed class SharedRead
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PooledBufferWriter? _buffer;
    private int _references = 1;

    public SharedRead(long generation, PooledBufferWriter buffer)
    {
        Generation = generation;
        _buffer = buffer;
    }

    /// <summary>The cache's write generation when the store call started: readers join only a read at theirs.</summary>
    public long Generation { get; }

    public PooledBufferWriter? Buffer => _buffer;

    public ReadOnlyMemory<byte> Data => _buffer!.WrittenMemory;

    /// <summary>Takes a reference, unless the last one was already released (the buffer is gone).</summary>
    public bool TryJoin()
    {
        var references = Volatile.Read(ref _references);
        while (references > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, references + 1, references);
            if (seen == references)
            {
                return true;
            }

            references = seen;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Interlocked.Exchange(ref _buffer, null)?.Dispose();
        }
    }

    /// <summary>The store call ended: a call given up at the deadline leaves its buffer to the race that disposes it.</summary>
    public void Complete(bool found, bool bufferAbandoned)
    {
        if (bufferAbandoned)
        {
            _buffer = null;
        }

        _done.SetResult(found && !bufferAbandoned);
        Release();
    }

    /// <summary>Waits for the store call (this waiter's cancellation ends only its own wait); takes a joined reference.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<StoredBytes> WaitAsync(CancellationToken cancellationToken)
    {
        bool found;
        try
        {
            found = await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Release();
            throw;
        }

        if (!found)
        {
            Release();
            return StoredBytes.None;
        }

        return new StoredBytes(this);
    }
}
