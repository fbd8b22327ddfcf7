using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial;

/// <summary>Configures one cache registered by <c>AddCacheSerial</c> or <c>AddKeyedCacheSerial</c>.</summary>
public interface ICacheSerialBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>The cache's name: <c>default</c> for <c>AddCacheSerial</c>, else the service key.</summary>
    string Name { get; }

    /// <summary>Makes <paramref name="codec"/> this cache's default codec (System.Text.Json unless set).</summary>
    /// <param name="codec">The codec.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The codec's name is not 1 to 64 printable ASCII characters.</exception>
    ICacheSerialBuilder UseCodec(ICacheCodec codec);

    /// <summary>Uses <paramref name="codec"/> for values of type <typeparamref name="T"/> only.</summary>
    /// <typeparam name="T">The type, matched exactly.</typeparam>
    /// <param name="codec">The codec.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The codec's name is not 1 to 64 printable ASCII characters.</exception>
    ICacheSerialBuilder UseCodecFor<T>(ICacheCodec codec);
}
