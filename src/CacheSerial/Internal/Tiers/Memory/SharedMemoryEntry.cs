namespace CacheSerial.Internal;

/// <summary>A decoded value kept as is: every hit returns this instance (strings, primitives, immutable types).</summary>
internal sealed class SharedMemoryEntry<T>(T value, long createdAtMs, long expiresAtMs, EnvelopeFlags flags, string[]? tags, long localUntilMs, long keepUntilMs, long size)
    : MemoryEntry(typeof(T), shared: true, createdAtMs, expiresAtMs, flags, tags, localUntilMs, keepUntilMs, size)
{
    public T Value { get; } = value;

    /// <summary>Sets the untyped view of a reference value (<see cref="MemoryEntry.SharedReference"/>).</summary>
    public SharedMemoryEntry<T> WithReference()
    {
        if (!typeof(T).IsValueType)
        {
            SharedReference = Value;
            SharesReference = true;
        }

        return this;
    }
}
