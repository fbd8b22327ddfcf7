using CacheSerial.TestSupport.Envelopes;

namespace CacheSerial.TestSupport.Codecs;

/// <summary>
/// The whole <see cref="CodecRoundTripTests"/> suite through caches that compress every payload with
/// <see cref="Algorithm"/> (threshold 0: each model larger than a byte is compressed whenever that makes it smaller),
/// so every model each codec writes also survives compression, the memory tier's plain copy and decompression.
/// Subclasses supply the codec and the algorithm.
/// </summary>
public abstract class CompressedCodecRoundTripTests : CodecRoundTripTests
{
    protected abstract CacheCompressionAlgorithm Algorithm { get; }

    protected override void ConfigureOptions(CacheSerialOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Compression = new CacheCompressionOptions { Algorithm = Algorithm, Threshold = 0 };
    }

    [Fact]
    public async Task ThroughCache_CompressibleModels_AreStoredCompressedWithTheAlgorithm()
    {
        // Guards the suite itself: without this, a cache that silently stopped compressing would still pass it.
        using var h = CreateCacheHarness();
        await h.Cache.SetAsync("order", CodecSamples.Order(), cancellationToken: Ct);
        await h.Cache.SetAsync("catalogue", CodecSamples.LargeCatalogue(), cancellationToken: Ct);
        await h.Cache.SetAsync("string", new string('z', 10_000), cancellationToken: Ct);

        foreach (var key in (string[])["order", "catalogue", "string"])
        {
            var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync(key, Ct))!);
            Assert.True(envelope.IsWellFormed, key);
            Assert.True(envelope.IsCompressed, key);
            Assert.Equal((byte)Algorithm, envelope.Compression);
            Assert.True(envelope.PayloadLength < envelope.OriginalLength, key);
        }
    }

    [Fact]
    public async Task ThroughCache_CompressedPayload_DecompressesToTheCodecsOutput()
    {
        using var h = CreateCacheHarness();
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        Codec.Serialize(CodecSamples.Order(), writer);

        await h.Cache.SetAsync("order", CodecSamples.Order(), cancellationToken: Ct);

        Assert.Equal((uint)writer.WrittenCount, EnvelopeBytes.Parse((await h.ReadRawAsync("order", Ct))!).OriginalLength);
    }

    [Fact]
    public async Task ThroughCache_TinyValue_IsVersion2UncompressedWhenCompressionDoesNotShrinkIt()
    {
        using var h = CreateCacheHarness();

        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);
        Assert.Equal(2, envelope.Version);
        Assert.False(envelope.IsCompressed);
        Assert.Equal((uint)envelope.PayloadLength, envelope.OriginalLength);
        Assert.Equal(1, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }
}
