using System.Text.Json;
using System.Text.Json.Serialization;
using ZiggyCreatures.Caching.Fusion.Internals.Distributed;

namespace CacheSerial.Benchmarks.Model;

/// <summary>
/// The one source-generated System.Text.Json context every JSON contender uses. FusionCache stores its own wrapper
/// around the value, so that wrapper is generated here too (its <see cref="Product"/> member uses the same metadata).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Product))]
[JsonSerializable(typeof(FrozenProduct))]
[JsonSerializable(typeof(Product[]))]
[JsonSerializable(typeof(FusionCacheDistributedEntry<Product>))]
public sealed partial class ProductJsonContext : JsonSerializerContext;
