namespace CacheSerial;

/// <summary>
/// A message bus between the processes that share a cache, used to tell each other's memory tiers which keys changed
/// (<c>UseBackplane</c>; <c>UseRedisBackplane</c> in <c>CacheSerial.StackExchangeRedis</c>). It only moves bytes: the
/// cache owns the message format (sender, per-sender sequence, keys), detects lost messages from the sequence and flushes
/// its memory tier when any are lost, so a transport needs no delivery guarantee beyond ordering per publisher while
/// connected. Implement it for another transport (NATS, Postgres <c>LISTEN/NOTIFY</c>, ...).
/// </summary>
public interface ICacheBackplane
{
    /// <summary>
    /// Starts delivering the messages published on <paramref name="channel"/> (by every process, this one included) to
    /// <paramref name="listener"/>, in the order each publisher sent them, one at a time. Throws when the transport cannot
    /// subscribe now; the cache retries. Disposing the result stops the delivery.
    /// </summary>
    /// <param name="channel">The channel, chosen by the cache (it names the cache's key prefix).</param>
    /// <param name="listener">Gets the messages and the connection's changes.</param>
    /// <param name="cancellationToken">Cancels the subscription attempt.</param>
    /// <returns>The subscription.</returns>
    ValueTask<IAsyncDisposable> SubscribeAsync(string channel, ICacheBackplaneListener listener, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends <paramref name="message"/> to every subscriber of <paramref name="channel"/>. May throw when the transport is
    /// down: the cache counts it, stops publishing for a while (its own breaker) and never fails a caller for it.
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="message">The bytes; only valid until the returned task completes.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>Completes when the transport took the message.</returns>
    ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);
}
