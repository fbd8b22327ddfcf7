using System.IO.Compression;

namespace CacheSerial;

/// <summary>
/// Payload compression of one cache (<see cref="CacheSerialOptions.Compression"/>). A payload is compressed only when the
/// codec's output is larger than <see cref="Threshold"/>, and the compressed form is stored only when it is smaller;
/// readers decompress whatever algorithm an entry names, so the setting can change while entries written under another
/// one are still stored.
/// </summary>
public sealed class CacheCompressionOptions
{
    /// <summary>The default for <see cref="Threshold"/>: 1 KiB.</summary>
    public const int DefaultThreshold = 1024;

    /// <summary>The algorithm for new entries. Default: <see cref="CacheCompressionAlgorithm.None"/>.</summary>
    public CacheCompressionAlgorithm Algorithm { get; set; } = CacheCompressionAlgorithm.None;

    /// <summary>
    /// Payloads of at most this many bytes are stored as they are (small payloads rarely shrink and would pay the
    /// compressor's time for nothing). At least 0. Default: <see cref="DefaultThreshold"/>.
    /// </summary>
    public int Threshold { get; set; } = DefaultThreshold;

    /// <summary>
    /// Speed against size. <see cref="CompressionLevel.Fastest"/> (the default) suits a cache, whose writes are on a
    /// request's path; <see cref="CompressionLevel.SmallestSize"/> pays off only for large values written rarely and read often.
    /// </summary>
    public CompressionLevel Level { get; set; } = CompressionLevel.Fastest;
}
