using CacheSerial.Internal;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Envelopes;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.Time.Testing;
using static CacheSerial.Tests.Golden.GoldenFileTests; // the v1 files' fixed inputs and paths

namespace CacheSerial.Tests.Golden;

/// <summary>
/// Envelope v2 golden files: a tagged entry (<c>stj-tags-v2.bin</c>) and one compressed entry per algorithm
/// (<c>stj-{algorithm}-v2.bin</c>), written by the real writer with the inputs of <see cref="GoldenFileTests"/>. They must
/// keep decoding to the exact value with the exact tags, and today's writer must still produce them.
/// </summary>
/// <remarks>
/// The tagged file is compared byte for byte. A compressed file is compared byte for byte up to its payload, and its
/// payload after decompression: compressors may legitimately emit other bytes for the same input in another version
/// (GZip and Brotli come with the runtime), and every such stream still decodes; what must not drift is the header and
/// what the payload holds. Regenerate as <see cref="GoldenFileTests"/> says (the same variable rewrites these files too).
/// </remarks>
public sealed class GoldenFileV2Tests
{
    private const string TagsFile = "stj-tags-v2.bin";
    private static readonly string[] Tags = ["product:42", "catalogue", "ü-tag"];

    // The v1 golden value with a note long and repetitive enough that even GZip and LZ4 shrink its JSON.
    private static GoldenProduct Value() =>
        GoldenFileTests.Value() with { Note = string.Join(' ', Enumerable.Repeat("Golden notes compress well.", 20)) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Files => new() { TagsFile, "stj-gzip-v2.bin", "stj-brotli-v2.bin", "stj-zstd-v2.bin", "stj-lz4-v2.bin" };

    public static TheoryData<string> CompressedFiles => new() { "stj-gzip-v2.bin", "stj-brotli-v2.bin", "stj-zstd-v2.bin", "stj-lz4-v2.bin" };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task GoldenFile_DecodesToExactValue(string file)
    {
        // Read by a cache without compression: every build reads every algorithm, whatever it writes.
        using var h = CreateHarness(new FakeTimeProvider(FixedNow), CacheCompressionAlgorithm.None);
        await h.WriteRawAsync(Key, await File.ReadAllBytesAsync(OutputPath(file), Ct), Ct);

        var result = await h.Cache.TryGetAsync<GoldenProduct>(Key, cancellationToken: Ct);

        Assert.True(result.HasValue, $"{file} no longer decodes: {string.Join("; ", h.LogRecords().Select(r => r.Message))}");
        Assert.Equivalent(Value(), result.Value, strict: true);
        Assert.Equal(Value().ReleasedAt.Offset, result.Value!.ReleasedAt.Offset);
        Assert.Equal(Value().Price.Scale, result.Value.Price.Scale);
    }

    [Fact]
    public async Task TagsFile_HeaderHasTheDocumentedFieldsAndTags()
    {
        var envelope = EnvelopeBytes.Parse(await File.ReadAllBytesAsync(OutputPath(TagsFile), Ct));

        AssertCommonHeader(envelope);
        Assert.Equal(0, envelope.Flags);
        Assert.Equal(0, envelope.Compression);
        Assert.Equal(Tags, envelope.Tags);
        Assert.Equal((uint)envelope.PayloadLength, envelope.OriginalLength);
        Assert.Equal((byte)'{', envelope.Payload[0]); // the JSON itself: compared with the compressed files below
    }

    [Theory]
    [MemberData(nameof(CompressedFiles))]
    public async Task CompressedFile_HeaderHasTheDocumentedFieldsAndDecompressesToTheTaggedFilesPayload(string file)
    {
        // The tagged file holds the same value's JSON uncompressed: each compressed payload must decompress to exactly it.
        var envelope = EnvelopeBytes.Parse(await File.ReadAllBytesAsync(OutputPath(file), Ct));
        var plainPayload = EnvelopeBytes.Parse(await File.ReadAllBytesAsync(OutputPath(TagsFile), Ct)).Payload.ToArray();

        AssertCommonHeader(envelope);
        Assert.Equal(EnvelopeBytes.CompressedFlag, envelope.Flags);
        Assert.Equal((byte)AlgorithmOf(file), envelope.Compression);
        Assert.Empty(envelope.Tags);
        Assert.Equal((uint)plainPayload.Length, envelope.OriginalLength);
        Assert.True(envelope.PayloadLength < plainPayload.Length);
        Assert.Equal(plainPayload, Decompress(envelope));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task EncodingToday_ProducesGoldenFile(string file)
    {
        var algorithm = AlgorithmOf(file);
        using var h = CreateHarness(new FakeTimeProvider(FixedNow), algorithm);

        await h.Cache.SetAsync(
            Key,
            Value(),
            new CacheEntryOptions { Expiration = Lifetime, Tags = file == TagsFile ? Tags : null },
            Ct);
        var actual = await h.ReadRawAsync(Key, Ct);
        Assert.NotNull(actual);

        if (Environment.GetEnvironmentVariable(GoldenFileTests.RegenerateVariable) == "1")
        {
            await File.WriteAllBytesAsync(Path.Combine(SourceDirectory(), file), actual, Ct);
            Directory.CreateDirectory(Path.GetDirectoryName(OutputPath(file))!);
            await File.WriteAllBytesAsync(OutputPath(file), actual, Ct);
        }

        var golden = await File.ReadAllBytesAsync(OutputPath(file), Ct);
        if (algorithm == CacheCompressionAlgorithm.None)
        {
            Assert.Equal(golden, actual);
            return;
        }

        var expected = EnvelopeBytes.Parse(golden);
        var today = EnvelopeBytes.Parse(actual);
        Assert.Equal(golden[..expected.PayloadLengthOffset], actual[..today.PayloadLengthOffset]);
        Assert.Equal(Decompress(expected), Decompress(today));
    }

    [Theory]
    [InlineData("product:42")]
    [InlineData("catalogue")]
    [InlineData("ü-tag")]
    public async Task TagsFile_AnyOfItsTagsRemoved_IsMiss(string tag)
    {
        using var h = CreateHarness(new FakeTimeProvider(FixedNow), CacheCompressionAlgorithm.None);
        await h.WriteRawAsync(Key, await File.ReadAllBytesAsync(OutputPath(TagsFile), Ct), Ct);

        await h.Cache.RemoveByTagAsync("unrelated", Ct);
        var beforeRemoval = await h.Cache.TryGetAsync<GoldenProduct>(Key, cancellationToken: Ct);
        await h.Cache.RemoveByTagAsync(tag, Ct);
        var afterRemoval = await h.Cache.TryGetAsync<GoldenProduct>(Key, cancellationToken: Ct);

        Assert.True(beforeRemoval.HasValue);
        Assert.False(afterRemoval.HasValue);
    }

    private static void AssertCommonHeader(EnvelopeBytes envelope)
    {
        Assert.True(envelope.IsWellFormed);
        Assert.Equal(2, envelope.Version);
        Assert.Equal("stj", envelope.CodecName);
        Assert.Equal(0, envelope.SchemaVersion);
        Assert.Equal(FixedNow.ToUnixTimeMilliseconds(), envelope.CreatedAtMs);
        Assert.Equal((FixedNow + Lifetime).ToUnixTimeMilliseconds(), envelope.ExpiresAtMs);
    }

    private static byte[] Decompress(EnvelopeBytes envelope)
    {
        var plain = new byte[envelope.OriginalLength];
        Assert.True(PayloadCompression.TryDecompress((CacheCompressionAlgorithm)envelope.Compression, envelope.Payload, plain));
        return plain;
    }

    private static CacheCompressionAlgorithm AlgorithmOf(string file) => file switch
    {
        "stj-gzip-v2.bin" => CacheCompressionAlgorithm.GZip,
        "stj-brotli-v2.bin" => CacheCompressionAlgorithm.Brotli,
        "stj-zstd-v2.bin" => CacheCompressionAlgorithm.Zstd,
        "stj-lz4-v2.bin" => CacheCompressionAlgorithm.Lz4,
        _ => CacheCompressionAlgorithm.None,
    };

    // Threshold 0: the golden value's JSON is offered to every algorithm.
    private static CacheHarness CreateHarness(TimeProvider time, CacheCompressionAlgorithm algorithm) =>
        new(
            InMemoryStores.Create(),
            configure: o => o.Compression = new CacheCompressionOptions { Algorithm = algorithm, Threshold = 0 },
            timeProvider: time,
            prefix: Prefix);
}
