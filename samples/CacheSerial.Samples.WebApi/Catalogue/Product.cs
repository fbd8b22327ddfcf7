namespace CacheSerial.Samples.WebApi.Catalogue;

/// <summary>A catalogue item as the API returns it and as it is cached.</summary>
public sealed record Product(int Id, string Name, string Category, decimal Price);
