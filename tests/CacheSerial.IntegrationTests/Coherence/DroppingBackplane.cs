namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// A backplane "proxy" in front of a real one that silently drops chosen published messages, as a network or a broker
/// might: the sender believes they went out. Subscriptions pass through untouched.
/// </summary>
internal sealed class DroppingBackplane(ICacheBackplane inner) : ICacheBackplane, IAsyncDisposable
{
    // Byte 4 of the cache's message is its kind; 1 = keys changed (docs/coherence.md, InvalidationMessage).
    private const int KindOffset = 4;
    private const byte KeysKind = 1;

    private int _dropChanges;
    private int _dropped;

    /// <summary>Messages dropped so far.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>Drops the next <paramref name="count"/> change messages (pings still pass).</summary>
    public void DropNextChanges(int count) => Interlocked.Add(ref _dropChanges, count);

    public ValueTask<IAsyncDisposable> SubscribeAsync(string channel, ICacheBackplaneListener listener, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(channel, listener, cancellationToken);

    public ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        if (message.Length > KindOffset && message.Span[KindOffset] == KeysKind && TryTakeDrop())
        {
            Interlocked.Increment(ref _dropped);
            return ValueTask.CompletedTask;
        }

        return inner.PublishAsync(channel, message, cancellationToken);
    }

    private bool TryTakeDrop()
    {
        while (true)
        {
            var left = Volatile.Read(ref _dropChanges);
            if (left <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _dropChanges, left - 1, left) == left)
            {
                return true;
            }
        }
    }

    public ValueTask DisposeAsync() => inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
