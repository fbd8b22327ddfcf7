using System.Buffers;
using System.IO.Compression;
using K4os.Compression.LZ4;
using ZstdSharp;

namespace CacheSerial.Internal;

/// <summary>
/// The one home of payload compression: each algorithm compresses into a span no larger than the input (so output that
/// would not be smaller simply does not fit, and is not kept) and decompresses into a span of exactly the length the
/// envelope declared (so no input, however built, can make it write more: no decompression bomb).
/// </summary>
/// <remarks>
/// zstd (ZstdSharp.Port) and LZ4 (K4os.Compression.LZ4) live in the core package: both are managed code without
/// dependencies of their own, and every reader must decode whatever algorithm any writer of the cache chose.
/// </remarks>
internal static class PayloadCompression
{
    // A zstd context costs hundreds of kilobytes to create: one per thread and level, reused.
    [ThreadStatic]
    private static Compressor?[]? t_zstdCompressors;

    [ThreadStatic]
    private static Decompressor? t_zstdDecompressor;

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/>; returns the bytes written, or 0 when the
    /// output would not fit (it would not be smaller than <paramref name="destination"/>'s length).
    /// </summary>
    public static int TryCompress(CacheCompressionAlgorithm algorithm, CompressionLevel level, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        switch (algorithm)
        {
            case CacheCompressionAlgorithm.Zstd:
                return Zstd(level).TryWrap(source, destination, out var zstdWritten) ? zstdWritten : 0;

            case CacheCompressionAlgorithm.Lz4:
                var lz4Written = LZ4Codec.Encode(source, destination, level == CompressionLevel.SmallestSize ? LZ4Level.L09_HC : LZ4Level.L00_FAST);
                return lz4Written > 0 ? lz4Written : 0;

            case CacheCompressionAlgorithm.Brotli:
                var quality = level switch
                {
                    CompressionLevel.NoCompression => 0,
                    CompressionLevel.Fastest => 1,
                    CompressionLevel.SmallestSize => 11,
                    _ => 4,
                };
                return BrotliEncoder.TryCompress(source, destination, out var brotliWritten, quality, window: 22) ? brotliWritten : 0;

            case CacheCompressionAlgorithm.GZip:
                return GZipCompress(level, source, destination);

            default:
                return 0;
        }
    }

    /// <summary>
    /// Decompresses into all of <paramref name="destination"/>: false when the input is corrupt, names an unknown
    /// algorithm, or holds more or fewer bytes than the destination's length. Never throws.
    /// </summary>
    public static bool TryDecompress(CacheCompressionAlgorithm algorithm, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        try
        {
            switch (algorithm)
            {
                case CacheCompressionAlgorithm.Zstd:
                    return (t_zstdDecompressor ??= new Decompressor()).TryUnwrap(source, destination, out var zstdWritten)
                        && zstdWritten == destination.Length;

                case CacheCompressionAlgorithm.Lz4:
                    return LZ4Codec.Decode(source, destination) == destination.Length;

                case CacheCompressionAlgorithm.Brotli:
                    return BrotliDecoder.TryDecompress(source, destination, out var brotliWritten) && brotliWritten == destination.Length;

                case CacheCompressionAlgorithm.GZip:
                    return GZipDecompress(source, destination);

                default:
                    return false;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Stored bytes are untrusted: a decoder that throws on them means a corrupt entry, a miss.
            return false;
        }
    }

    private static Compressor Zstd(CompressionLevel level)
    {
        var slot = level switch
        {
            CompressionLevel.Fastest or CompressionLevel.NoCompression => 0,
            CompressionLevel.SmallestSize => 2,
            _ => 1,
        };
        var compressors = t_zstdCompressors ??= new Compressor?[3];
        return compressors[slot] ??= new Compressor(slot switch { 0 => 1, 2 => 19, _ => 3 });
    }

    // GZip has only a stream API: it runs over pooled arrays (a non-growing stream: output that does not fit throws).
    private static int GZipCompress(CompressionLevel level, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(destination.Length);
        try
        {
            using var output = new MemoryStream(buffer, 0, destination.Length, writable: true);
            try
            {
                using var gzip = new GZipStream(output, level, leaveOpen: true);
                gzip.Write(source);
            }
            catch (NotSupportedException)
            {
                return 0; // did not fit: not smaller than the input
            }

            var written = (int)output.Position;
            buffer.AsSpan(0, written).CopyTo(destination);
            return written;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool GZipDecompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(source.Length);
        try
        {
            source.CopyTo(buffer);
            using var gzip = new GZipStream(new MemoryStream(buffer, 0, source.Length, writable: false), CompressionMode.Decompress);
            var filled = 0;
            while (filled < destination.Length)
            {
                var read = gzip.Read(destination[filled..]);
                if (read == 0)
                {
                    return false; // fewer bytes than declared
                }

                filled += read;
            }

            Span<byte> probe = stackalloc byte[1];
            return gzip.Read(probe) == 0; // more bytes than declared: they are never written anywhere
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
