using CacheSerial;
using CacheSerial.MessagePack;
using MessagePack;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the MessagePack codec on a CacheSerial builder.</summary>
public static class MessagePackCacheSerialBuilderExtensions
{
    /// <summary>Makes MessagePack the cache's default codec.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">Serializer options; <see langword="null"/> for contractless defaults.</param>
    /// <param name="useLz4">Compress payloads with LZ4.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder UseMessagePack(this ICacheSerialBuilder builder, MessagePackSerializerOptions? options = null, bool useLz4 = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseCodec(options is null && !useLz4 ? MessagePackCodec.Default : new MessagePackCodec(options, useLz4));
    }

    /// <summary>Uses MessagePack for values of type <typeparamref name="T"/> only.</summary>
    /// <typeparam name="T">The type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="options">Serializer options; <see langword="null"/> for contractless defaults.</param>
    /// <param name="useLz4">Compress payloads with LZ4.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder UseMessagePackFor<T>(this ICacheSerialBuilder builder, MessagePackSerializerOptions? options = null, bool useLz4 = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseCodecFor<T>(options is null && !useLz4 ? MessagePackCodec.Default : new MessagePackCodec(options, useLz4));
    }
}
