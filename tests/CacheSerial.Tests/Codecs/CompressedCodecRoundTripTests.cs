using CacheSerial.MessagePack;
using CacheSerial.TestSupport.Codecs;

namespace CacheSerial.Tests.Codecs;

// Each codec's round-trip suite with each compression algorithm on. One line per codec and algorithm.
public sealed class SystemTextJsonGZipCompressionRoundTripTests : CompressedCodecRoundTripTests
{
    protected override ICacheCodec Codec => SystemTextJsonCodec.Default;

    protected override CacheCompressionAlgorithm Algorithm => CacheCompressionAlgorithm.GZip;
}

public sealed class SystemTextJsonBrotliCompressionRoundTripTests : CompressedCodecRoundTripTests
{
    protected override ICacheCodec Codec => SystemTextJsonCodec.Default;

    protected override CacheCompressionAlgorithm Algorithm => CacheCompressionAlgorithm.Brotli;
}

public sealed class SystemTextJsonZstdCompressionRoundTripTests : CompressedCodecRoundTripTests
{
    protected override ICacheCodec Codec => SystemTextJsonCodec.Default;

    protected override CacheCompressionAlgorithm Algorithm => CacheCompressionAlgorithm.Zstd;
}

public sealed class SystemTextJsonLz4CompressionRoundTripTests : CompressedCodecRoundTripTests
{
    protected override ICacheCodec Codec => SystemTextJsonCodec.Default;

    protected override CacheCompressionAlgorithm Algorithm => CacheCompressionAlgorithm.Lz4;
}

public sealed class MessagePackGZipCompressionRoundTripTests : CompressedCodecRoundTripTests
{
    protected override ICacheCodec Codec => MessagePackCodec.Default;

    protected override CacheCompressionAlgorithm Algorithm => CacheCompressionAlgorithm.GZip;
}

public sealed class MessagePackBrotliCompressionRoundTripTests : CompressedCodecRoundTripTests
{
    protected override ICacheCodec Codec => MessagePackCodec.Default;

    protected override CacheCompressionAlgorithm Algorithm => CacheCompressionAlgorithm.Brotli;
}

public sealed class MessagePackZstdCompressionRoundTripTests : CompressedCodecRoundTripTests
{
    protected override ICacheCodec Codec => MessagePackCodec.Default;

    protected override CacheCompressionAlgorithm Algorithm => CacheCompressionAlgorithm.Zstd;
}

public sealed class MessagePackLz4CompressionRoundTripTests : CompressedCodecRoundTripTests
{
    protected override ICacheCodec Codec => MessagePackCodec.Default;

    protected override CacheCompressionAlgorithm Algorithm => CacheCompressionAlgorithm.Lz4;
}
