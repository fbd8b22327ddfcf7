using System.Text.Json;
using System.Text.Json.Serialization;
using CacheSerial;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Codec choices and add-ons (HybridCache, startup type checks) for <see cref="ICacheSerialBuilder"/>.</summary>
public static partial class CacheSerialBuilderExtensions
{
    /// <summary>Uses System.Text.Json (the default) with the given options.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">Serializer options; <see langword="null"/> for the codec's defaults.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder UseSystemTextJson(this ICacheSerialBuilder builder, JsonSerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseCodec(options is null ? SystemTextJsonCodec.Default : new SystemTextJsonCodec(options));
    }

    /// <summary>Uses System.Text.Json with a source-generated context.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="context">The context.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder UseSystemTextJson(this ICacheSerialBuilder builder, JsonSerializerContext context)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseCodec(new SystemTextJsonCodec(context));
    }
}
