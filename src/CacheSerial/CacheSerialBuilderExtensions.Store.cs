using CacheSerial;
using CacheSerial.Internal;

namespace Microsoft.Extensions.DependencyInjection;

public static partial class CacheSerialBuilderExtensions
{
    /// <summary>
    /// Gives this cache its own store instead of the registered <c>IDistributedCache</c>. The factory runs once, when
    /// the cache is first resolved. Store packages (<c>UseStackExchangeRedis</c>) call this.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Creates the store from the application's services.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder UseStore(this ICacheSerialBuilder builder, Func<IServiceProvider, ICacheStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Configure<StoreOptions>(BuilderNames.OptionsName(builder), o => o.Factory = factory);
        return builder;
    }
}
