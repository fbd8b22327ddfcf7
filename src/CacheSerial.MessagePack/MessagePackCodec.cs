using System.Buffers;
using CacheSerial.MessagePack.Internal;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace CacheSerial.MessagePack;

/// <summary>
/// A compact binary codec over MessagePack-CSharp. Contractless by default (plain classes and records need no attributes;
/// <c>[MessagePackObject]</c> types use their attributes). <see cref="MessagePackSecurity.UntrustedData"/> is always
/// applied, whatever options are passed, and typeless resolvers are refused: a cache entry must never name a type to load.
/// Writing refuses object graphs deeper than the depth reading accepts (<see cref="MessagePackSecurity.MaximumObjectGraphDepth"/>,
/// 500 levels) and cyclic graphs, with an exception instead of a stack overflow.
/// </summary>
public sealed class MessagePackCodec : ICacheCodec
{
    /// <summary>Creates the codec.</summary>
    /// <param name="options">Serializer options; <see langword="null"/> for the contractless standard resolver.</param>
    /// <param name="useLz4">Compress payloads with LZ4 block arrays. A codec with LZ4 also reads uncompressed entries; a codec
    /// without it treats LZ4 entries as misses.</param>
    /// <exception cref="ArgumentException">The options use a typeless resolver.</exception>
    public MessagePackCodec(MessagePackSerializerOptions? options = null, bool useLz4 = false)
    {
        var chosen = options ?? ContractlessStandardResolver.Options;
        if (chosen.Resolver.GetFormatter<object>() is TypelessFormatter || chosen.Resolver is TypelessContractlessStandardResolver or TypelessObjectResolver)
        {
            throw new ArgumentException(
                "Typeless MessagePack resolvers embed .NET type names in the payload and are refused: a cache entry must never choose the type to instantiate.",
                nameof(options));
        }

        chosen = chosen.WithSecurity(MessagePackSecurity.UntrustedData);
        if (chosen.Resolver is not DepthLimitingResolver)
        {
            // Bounds the depth when writing, as UntrustedData bounds it when reading (an options object taken from
            // another codec is already wrapped: wrapping it twice would count every level twice).
            chosen = chosen.WithResolver(new DepthLimitingResolver(chosen.Resolver));
        }

        if (useLz4)
        {
            chosen = chosen.WithCompression(MessagePackCompression.Lz4BlockArray);
        }

        Options = chosen;
    }

    /// <summary>A shared instance with the default (contractless, no compression) options.</summary>
    public static MessagePackCodec Default { get; } = new();

    /// <summary>The codec name stored in entries: <c>msgpack</c>.</summary>
    public string Name => "msgpack";

    /// <summary>
    /// The serializer options in use: always with untrusted-data security, and with the given resolver wrapped so that
    /// writing is bounded by the same depth as reading.
    /// </summary>
    public MessagePackSerializerOptions Options { get; }

    /// <inheritdoc />
    public void Serialize<T>(T value, IBufferWriter<byte> destination) =>
        MessagePackSerializer.Serialize(destination, value, Options);

    /// <inheritdoc />
    public T Deserialize<T>(ReadOnlySequence<byte> source) =>
        MessagePackSerializer.Deserialize<T>(source, Options);
}
