using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSerial.Internal;

/// <summary>
/// Checks at start what the options alone cannot show: that each cache was registered once (a second registration used
/// to merge silently with the first), and that it has a store (else the first request failed instead of the host start).
/// </summary>
internal sealed class CacheRegistrationValidator(
    IEnumerable<CacheRegistration> registrations,
    IOptionsMonitor<StoreOptions> stores,
    IServiceProvider services) : IValidateOptions<CacheSerialOptions>
{
    public ValidateOptionsResult Validate(string? name, CacheSerialOptions options)
    {
        var optionsName = name ?? Options.DefaultName;
        var count = registrations.Count(r => r.OptionsName == optionsName);
        if (count == 0)
        {
            return ValidateOptionsResult.Skip; // options read under a name no cache was registered with
        }

        var isDefault = optionsName.Length == 0;
        var cache = isDefault ? CacheSerialServiceCollectionExtensions.DefaultCacheName : optionsName;
        var failures = new List<string>();
        if (count > 1)
        {
            var call = isDefault ? "AddCacheSerial" : $"AddKeyedCacheSerial(\"{optionsName}\")";
            failures.Add(
                $"Cache '{cache}' was registered {count} times ({call} was called {count} times); each call's options and codec, store and other builder choices would merge into one cache. " +
                $"Configure it in one {call} call, or give each cache its own name with AddKeyedCacheSerial(name, ...).");
        }

        if (stores.Get(name).Factory is null && !HasDistributedCache(isDefault ? null : optionsName))
        {
            var keyed = isDefault ? string.Empty : $" (neither under the key '{optionsName}' nor unkeyed)";
            failures.Add(
                $"Cache '{cache}' has no store: no IDistributedCache is registered{keyed} and no store was chosen for it. " +
                "Register one, for example services.AddStackExchangeRedisCache(o => o.Configuration = \"localhost:6379\") (package Microsoft.Extensions.Caching.StackExchangeRedis) " +
                "or services.AddDistributedMemoryCache(), or give the cache its own store with UseStackExchangeRedis(...) (package CacheSerial.StackExchangeRedis) or UseStore(...).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // Asks the container without creating the store (creating it may connect). A container that cannot answer is trusted:
    // the cache's first resolution still reports a missing store.
    private bool HasDistributedCache(string? serviceKey)
    {
        if (services.GetService<IServiceProviderIsService>() is not { } isService)
        {
            return true;
        }

        return isService.IsService(typeof(IDistributedCache))
            || (serviceKey is not null && isService is IServiceProviderIsKeyedService keyed && keyed.IsKeyedService(typeof(IDistributedCache), serviceKey));
    }
}
