using System.Buffers;

namespace CacheSerial.Internal;

/// <summary>
/// A decoded entry's payload before compression: a slice of the stored bytes, or a pooled buffer the decompressor
/// filled (returned on dispose). What the memory tier copies from.
/// </summary>
internal readonly struct PlainPayload(ReadOnlyMemory<byte> bytes, byte[]? rented) : IDisposable
{
    public ReadOnlyMemory<byte> Bytes { get; } = bytes;

    public void Dispose()
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
