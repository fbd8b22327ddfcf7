using CacheSerial;
using CacheSerial.Internal;

namespace Microsoft.Extensions.DependencyInjection;

public static partial class CacheSerialBuilderExtensions
{
    /// <summary>
    /// Gives the cache a backplane: every write and remove of this process is published to the other processes sharing
    /// the store, and their memory tiers evict the key (this one's too, for theirs). Publishing never fails a call; lost
    /// messages are detected and flush memory (docs/coherence.md). For Redis, <c>UseRedisBackplane</c> in
    /// <c>CacheSerial.StackExchangeRedis</c> calls this.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Returns the backplane, asked for once when the cache is first resolved.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder UseBackplane(this ICacheSerialBuilder builder, Func<IServiceProvider, ICacheBackplane> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Configure<BackplaneRegistration>(BuilderNames.OptionsName(builder), r => r.Factory = factory);
        return builder;
    }
}
