namespace CacheSerial;

/// <summary>What an <see cref="ICacheBackplane"/> tells the cache (implemented by the cache, called by the transport).</summary>
public interface ICacheBackplaneListener
{
    /// <summary>A message arrived; <paramref name="message"/> is only valid during the call. Never throws.</summary>
    /// <param name="message">The bytes as published.</param>
    void OnMessage(ReadOnlySpan<byte> message);

    /// <summary>
    /// The subscription stopped receiving (messages published from now on may be lost). The cache then serves from its
    /// memory tier only for a short bound, and flushes it once the subscription is proven to work again.
    /// </summary>
    void OnConnectionLost();

    /// <summary>The transport reconnected; the cache checks with a message of its own that delivery works, then flushes.</summary>
    void OnConnectionRestored();
}
