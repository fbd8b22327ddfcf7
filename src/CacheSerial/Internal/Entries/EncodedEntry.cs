namespace CacheSerial.Internal;

/// <summary>
/// An entry encoded for writing: its bytes (envelope and payload, in a pooled buffer the caller owns until it hands it
/// to the distributed tier) and what the memory tier keeps of it (the payload, created-at, logical expiry, flags).
/// </summary>
internal readonly struct EncodedEntry(
    PooledBufferWriter buffer,
    CacheStoreEntryOptions storeOptions,
    int payloadOffset,
    int payloadLength,
    long createdAtMs,
    long expiresAtMs,
    EnvelopeFlags flags,
    string[]? tags = null,
    byte[]? plainPayload = null)
{
    /// <summary>Null when the entry must not be stored (already expired, too large; logged).</summary>
    public PooledBufferWriter? Buffer { get; } = buffer;

    public CacheStoreEntryOptions StoreOptions { get; } = storeOptions;

    public long CreatedAtMs { get; } = createdAtMs;

    public long ExpiresAtMs { get; } = expiresAtMs;

    public EnvelopeFlags Flags { get; } = flags;

    public string[]? Tags { get; } = tags;

    /// <summary>
    /// The codec's output alone (empty for a null value), before compression: the uncompressed copy the codec kept for
    /// the memory tier, else the bytes between the header and the checksum; valid while the buffer is.
    /// </summary>
    public ReadOnlySpan<byte> Payload => plainPayload is not null ? plainPayload : Buffer is null ? default : Buffer.WrittenSpan.Slice(payloadOffset, payloadLength);
}
