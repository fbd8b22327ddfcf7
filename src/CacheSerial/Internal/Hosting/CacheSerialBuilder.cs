using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Internal;

/// <summary>Records codec choices for one named cache through named <see cref="CodecOptions"/>.</summary>
internal sealed class CacheSerialBuilder(IServiceCollection services, string optionsName) : ICacheSerialBuilder
{
    public IServiceCollection Services { get; } = services;

    public string Name => optionsName.Length == 0 ? CacheSerialServiceCollectionExtensions.DefaultCacheName : optionsName;

    public ICacheSerialBuilder UseCodec(ICacheCodec codec)
    {
        CodecInfo.ValidateName(codec);
        Services.Configure<CodecOptions>(optionsName, o => o.DefaultCodec = codec);
        return this;
    }

    public ICacheSerialBuilder UseCodecFor<T>(ICacheCodec codec)
    {
        CodecInfo.ValidateName(codec);
        Services.Configure<CodecOptions>(optionsName, o => o.PerType[typeof(T)] = codec);
        return this;
    }
}
