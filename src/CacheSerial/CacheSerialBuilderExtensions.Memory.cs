using CacheSerial;
using CacheSerial.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static partial class CacheSerialBuilderExtensions
{
    /// <summary>
    /// Puts an in-process memory tier in front of the store: hits are answered from memory, misses read the store once
    /// and keep its answer. See <see cref="MemoryTierOptions"/> for bounds, lifetimes and what another process's
    /// writes mean here.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the tier's options; validated when the host starts.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder UseMemoryTier(this ICacheSerialBuilder builder, Action<MemoryTierOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var name = BuilderNames.OptionsName(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MemoryTierOptions>, MemoryTierOptionsValidator>());
        var options = builder.Services.AddOptions<MemoryTierOptions>(name).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.Configure<MemoryTierRegistration>(name, r => r.Enabled = true);
        return builder;
    }

    /// <summary>
    /// Tells the memory tier that values of <typeparamref name="T"/> are never changed once created, so it keeps them
    /// decoded and returns the same instance to every caller (no decoding, no allocation per hit). Strings, enums,
    /// value types without references and types marked <c>[ImmutableObject(true)]</c> are shared without this. Only
    /// for types whose instances nobody mutates: a caller changing a shared instance changes it for every caller.
    /// </summary>
    /// <typeparam name="T">The type, matched exactly.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder ShareInstancesOf<T>(this ICacheSerialBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<MemoryTierRegistration>(BuilderNames.OptionsName(builder), r => r.SharedTypes.Add(typeof(T)));
        return builder;
    }
}
