using System.Buffers;

namespace CacheSerial.TestSupport.Fakes;

/// <summary>A codec that delegates to another under its own name, and counts its calls: to see which codec a cache chose.</summary>
public sealed class NamedCodec(string name, ICacheCodec inner) : ICacheCodec
{
    private int _serializations;
    private int _deserializations;

    public string Name { get; } = name;

    public int Serializations => Volatile.Read(ref _serializations);

    public int Deserializations => Volatile.Read(ref _deserializations);

    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        Interlocked.Increment(ref _serializations);
        inner.Serialize(value, destination);
    }

    public T Deserialize<T>(ReadOnlySequence<byte> source)
    {
        Interlocked.Increment(ref _deserializations);
        return inner.Deserialize<T>(source);
    }
}
