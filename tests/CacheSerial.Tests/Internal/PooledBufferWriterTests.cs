using System.Buffers;
using CacheSerial.Internal;

namespace CacheSerial.Tests.Internal;

public sealed class PooledBufferWriterTests
{
    [Fact]
    public void Write_GrowsAndKeepsEverything()
    {
        using var writer = new PooledBufferWriter();
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();

        for (var i = 0; i < data.Length; i += 777)
        {
            writer.Write(data.AsSpan(i, Math.Min(777, data.Length - i)));
        }

        Assert.Equal(data.Length, writer.WrittenCount);
        Assert.Equal(data, writer.WrittenSpan.ToArray());
        Assert.Equal(data, writer.WrittenMemory.ToArray());
    }

    [Fact]
    public void GetSpan_HonoursSizeHint()
    {
        using var writer = new PooledBufferWriter();

        Assert.True(writer.GetSpan(10_000).Length >= 10_000);
        Assert.True(writer.GetMemory(20_000).Length >= 20_000);
        Assert.True(writer.GetSpan().Length >= 1);
    }

    [Fact]
    public void Advance_PastCapacity_Throws()
    {
        using var writer = new PooledBufferWriter();
        var capacity = writer.GetSpan().Length;

        Assert.Throws<InvalidOperationException>(() => writer.Advance(capacity + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(-1));
    }

    [Fact]
    public void Dispose_Twice_IsHarmless()
    {
        var writer = new PooledBufferWriter();
        writer.Write("abc"u8);

        writer.Dispose();
        writer.Dispose();

        Assert.Equal(0, writer.WrittenCount);
    }
}
