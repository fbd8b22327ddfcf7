using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Internal;

/// <summary>How a builder's cache is registered: the default one unkeyed, every other one under its name.</summary>
internal static class BuilderNames
{
    public static bool IsDefault(ICacheSerialBuilder builder) =>
        builder.Name == CacheSerialServiceCollectionExtensions.DefaultCacheName;

    /// <summary>The options name AddCacheSerial/AddKeyedCacheSerial configured for this cache.</summary>
    public static string OptionsName(ICacheSerialBuilder builder) =>
        IsDefault(builder) ? Microsoft.Extensions.Options.Options.DefaultName : builder.Name;
}
