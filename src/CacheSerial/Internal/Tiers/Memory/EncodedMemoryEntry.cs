namespace CacheSerial.Internal;

/// <summary>A value kept as its codec's payload and decoded per hit by the same codec into the same type.</summary>
internal sealed class EncodedMemoryEntry(Type type, CodecInfo codec, byte[] payload, long createdAtMs, long expiresAtMs, EnvelopeFlags flags, string[]? tags, long localUntilMs, long keepUntilMs, long size)
    : MemoryEntry(type, shared: false, createdAtMs, expiresAtMs, flags, tags, localUntilMs, keepUntilMs, size)
{
    public CodecInfo Codec { get; } = codec;

    public byte[] Payload { get; } = payload;
}
