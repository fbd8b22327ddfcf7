using System.Buffers;

namespace CacheSerial;

/// <summary>
/// Turns values into bytes and back. Synchronous and buffer-based; implementations must be thread-safe.
/// </summary>
public interface ICacheCodec
{
    /// <summary>
    /// Identifies the byte format in every stored entry (1 to 64 printable ASCII characters). An entry written by a codec of
    /// another name is a miss, so change the name when the format changes incompatibly.
    /// </summary>
    string Name { get; }

    /// <summary>Writes <paramref name="value"/> (never <see langword="null"/>: the envelope records nulls itself).</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="value">The value to write.</param>
    /// <param name="destination">Where the bytes go.</param>
    void Serialize<T>(T value, IBufferWriter<byte> destination);

    /// <summary>Reads a value written by <see cref="Serialize{T}"/>; throws on bytes it cannot read.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="source">Exactly the bytes <see cref="Serialize{T}"/> wrote.</param>
    /// <returns>The value.</returns>
    T Deserialize<T>(ReadOnlySequence<byte> source);
}
