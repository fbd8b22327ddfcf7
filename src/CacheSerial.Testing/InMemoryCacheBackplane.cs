namespace CacheSerial.Testing;

/// <summary>
/// A backplane inside one process, for tests of code that runs several caches (several "processes") against one store:
/// give the same instance to each (<c>build: b =&gt; b.UseMemoryTier().UseBackplane(_ =&gt; backplane)</c>). Messages are
/// delivered synchronously, in order, to every subscriber of the channel (the publisher included, as Redis does). It can
/// also misbehave on demand: <see cref="Disconnect"/> and <see cref="Reconnect"/> model a lost and restored connection,
/// <see cref="DropWhere"/> loses chosen messages.
/// </summary>
public sealed class InMemoryCacheBackplane : ICacheBackplane
{
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscriptions = [];
    private long _published;
    private long _dropped;
    private bool _disconnected;

    /// <summary>Messages delivered (one per publish, whatever the number of subscribers).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Messages lost: published while disconnected or matched by <see cref="DropWhere"/>.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Current subscriptions.</summary>
    public int Subscribers
    {
        get
        {
            lock (_gate)
            {
                return _subscriptions.Count;
            }
        }
    }

    /// <summary>When set, a published message for which it returns true is lost (never delivered; the publish succeeds).</summary>
    public Func<ReadOnlyMemory<byte>, bool>? DropWhere { get; set; }

    /// <inheritdoc/>
    public ValueTask<IAsyncDisposable> SubscribeAsync(string channel, ICacheBackplaneListener listener, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(listener);
        lock (_gate)
        {
            if (_disconnected)
            {
                throw new InvalidOperationException("The in-memory backplane is disconnected.");
            }

            var subscription = new Subscription(this, channel, listener);
            _subscriptions.Add(subscription);
            return new ValueTask<IAsyncDisposable>(subscription);
        }
    }

    /// <inheritdoc/>
    public ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        lock (_gate)
        {
            if (_disconnected)
            {
                Interlocked.Increment(ref _dropped);
                return ValueTask.FromException(new InvalidOperationException("The in-memory backplane is disconnected."));
            }

            if (DropWhere?.Invoke(message) == true)
            {
                Interlocked.Increment(ref _dropped);
                return default;
            }

            Interlocked.Increment(ref _published);
            foreach (var subscription in _subscriptions)
            {
                if (subscription.Channel == channel)
                {
                    subscription.Listener.OnMessage(message.Span);
                }
            }
        }

        return default;
    }

    /// <summary>Every subscriber loses its connection: they are told, and publishing fails until <see cref="Reconnect"/>.</summary>
    public void Disconnect()
    {
        lock (_gate)
        {
            _disconnected = true;
            foreach (var subscription in _subscriptions)
            {
                subscription.Listener.OnConnectionLost();
            }
        }
    }

    /// <summary>The connection is back: subscribers are told and messages flow again.</summary>
    public void Reconnect()
    {
        List<Subscription> subscriptions;
        lock (_gate)
        {
            _disconnected = false;
            subscriptions = [.. _subscriptions];
        }

        // Outside the lock: a listener may publish (a ping) from this call.
        foreach (var subscription in subscriptions)
        {
            subscription.Listener.OnConnectionRestored();
        }
    }

    private sealed class Subscription(InMemoryCacheBackplane owner, string channel, ICacheBackplaneListener listener) : IAsyncDisposable
    {
        public string Channel { get; } = channel;

        public ICacheBackplaneListener Listener { get; } = listener;

        public ValueTask DisposeAsync()
        {
            lock (owner._gate)
            {
                owner._subscriptions.Remove(this);
            }

            return default;
        }
    }
}
