namespace CacheSerial;

/// <summary>
/// How payloads are compressed (<see cref="CacheCompressionOptions.Algorithm"/>). The value is also the algorithm's id in
/// the stored entry (docs/wire-format.md), so it never changes. Every build reads every algorithm, whichever one it writes.
/// </summary>
public enum CacheCompressionAlgorithm
{
    /// <summary>Payloads are stored as the codec wrote them.</summary>
    None = 0,

    /// <summary>GZip (RFC 1952): the one every language's standard library reads, so other services can share entries.</summary>
    GZip = 1,

    /// <summary>Brotli (RFC 7932): the smallest output of the four, and the slowest to write.</summary>
    Brotli = 2,

    /// <summary>Zstandard (RFC 8878): close to Brotli's size at several times its speed.</summary>
    Zstd = 3,

    /// <summary>LZ4 block format: the fastest to write and read, the least reduction.</summary>
    Lz4 = 4,
}
