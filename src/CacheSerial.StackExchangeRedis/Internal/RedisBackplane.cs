using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CacheSerial.StackExchangeRedis.Internal;

/// <summary>
/// <see cref="ICacheBackplane"/> over Redis pub/sub (<c>UseRedisBackplane</c>): PUBLISH on the connection's interactive
/// link, SUBSCRIBE on its subscription link. Redis delivers one publisher's messages in order while connected and drops
/// them while not; the cache's hub numbers its messages and pings, so losses are its business, not this class's.
/// Messages are read through a <see cref="ChannelMessageQueue"/>: StackExchange.Redis then hands them over one at a time
/// in arrival order (plain handlers may run concurrently, which would look like gaps to the hub).
/// </summary>
internal sealed class RedisBackplane : ICacheBackplane, IDisposable, IAsyncDisposable
{
    private readonly RedisConnection _connection;
    private readonly string _cacheName;
    private readonly ILogger _logger;

    /// <param name="connection">The connection (owned or not: it knows, and disposes only what it owns).</param>
    /// <param name="cacheName">The cache's name, for the logs.</param>
    /// <param name="logger">The logger.</param>
    public RedisBackplane(RedisConnection connection, string cacheName, ILogger logger)
    {
        _connection = connection;
        _cacheName = cacheName;
        _logger = logger;
    }

    public async ValueTask<IAsyncDisposable> SubscribeAsync(string channel, ICacheBackplaneListener listener, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(listener);
        cancellationToken.ThrowIfCancellationRequested();
        var multiplexer = (await _connection.GetDatabaseAsync().ConfigureAwait(false)).Multiplexer;
        var subscriber = multiplexer.GetSubscriber();
        var redisChannel = RedisChannel.Literal(channel);

        // A SUBSCRIBE that fails leaves its queue registered in the multiplexer (restored, and filled, on every reconnect,
        // with nobody reading it); the hub retries every second while Redis is down. Not asking while disconnected keeps
        // that to the rare failure of a connected server.
        if (!multiplexer.IsConnected)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "The Redis backplane is not connected yet.");
        }

        var subscription = new Subscription(this, multiplexer, listener);
        multiplexer.ConnectionFailed += subscription.OnConnectionFailed;
        multiplexer.ConnectionRestored += subscription.OnConnectionRestored;
        try
        {
            subscription.Queue = await subscriber.SubscribeAsync(redisChannel).ConfigureAwait(false);
        }
        catch
        {
            subscription.Detach();
            if (_connection.OwnsMultiplexer)
            {
                // Nobody else subscribes to this channel on a connection of our own: drop the orphaned queue.
                await subscriber.UnsubscribeAsync(redisChannel, null, CommandFlags.FireAndForget).ConfigureAwait(false);
            }

            throw;
        }

        subscription.Queue.OnMessage(subscription.Deliver);
        return subscription;
    }

    public async ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        cancellationToken.ThrowIfCancellationRequested();
        var multiplexer = (await _connection.GetDatabaseAsync().ConfigureAwait(false)).Multiplexer;

        // The bytes are written to the socket before the reply completes the task: the caller's buffer is not kept.
        await multiplexer.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), message).ConfigureAwait(false);
    }

    public void Dispose() => _connection.Dispose();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>One subscription: the queue it reads and the connection events it maps for the hub. Never throws into
    /// StackExchange.Redis: its callbacks run on the client's own threads.</summary>
    private sealed class Subscription(RedisBackplane owner, IConnectionMultiplexer multiplexer, ICacheBackplaneListener listener) : IAsyncDisposable
    {
        private int _disposed;

        public ChannelMessageQueue? Queue { get; set; }

        public void Deliver(ChannelMessage message)
        {
            var value = message.Message;
            if (value.IsNull || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            try
            {
                listener.OnMessage(((ReadOnlyMemory<byte>)value).Span);
            }
            catch (Exception ex)
            {
                // The hub's listener does not throw; if one ever does, the next message must still be read.
                Log.InvalidationListenerFailed(owner._logger, owner._cacheName, "backplane", ex.GetType().Name, ex);
            }
        }

        public void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
        {
            if (!CarriesSubscriptions(e) || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            try
            {
                Log.BackplaneConnectionLost(owner._logger, owner._cacheName, e);
                listener.OnConnectionLost();
            }
            catch (Exception)
            {
                // Nothing may escape into the client's event raiser.
            }
        }

        public void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
        {
            if (!CarriesSubscriptions(e) || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            try
            {
                // The events are raised on the thread pool, so a restore may be seen before its failure: the hub copes
                // (it trusts delivery only when one of its own pings, sent after the last loss, comes back).
                Log.BackplaneConnectionRestored(owner._logger, owner._cacheName, e);
                listener.OnConnectionRestored();
            }
            catch (Exception)
            {
                // Nothing may escape into the client's event raiser.
            }
        }

        /// <summary>Pub/sub rides the subscription link, or the interactive one on a RESP3 connection.</summary>
        private bool CarriesSubscriptions(ConnectionFailedEventArgs e)
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                return true;
            }

            try
            {
                return e.ConnectionType == ConnectionType.Interactive && e.EndPoint is { } endpoint
                    && multiplexer.GetServer(endpoint).Protocol is RedisProtocol.Resp3;
            }
            catch (Exception)
            {
                return false;
            }
        }

        public void Detach()
        {
            multiplexer.ConnectionFailed -= OnConnectionFailed;
            multiplexer.ConnectionRestored -= OnConnectionRestored;
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            Detach();
            if (Queue is { } queue)
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
        }
    }
}
