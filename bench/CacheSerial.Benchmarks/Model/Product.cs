using MessagePack;

namespace CacheSerial.Benchmarks.Model;

/// <summary>
/// The object under test: a catalogue product of about 1 KB as JSON. Attributed for MessagePack (integer keys) and
/// covered by <see cref="ProductJsonContext"/> for System.Text.Json source generation.
/// </summary>
[MessagePackObject]
public sealed record Product
{
    [Key(0)]
    public int Id { get; init; }

    [Key(1)]
    public string Sku { get; init; } = string.Empty;

    [Key(2)]
    public string Name { get; init; } = string.Empty;

    [Key(3)]
    public string Description { get; init; } = string.Empty;

    [Key(4)]
    public string Category { get; init; } = string.Empty;

    [Key(5)]
    public decimal Price { get; init; }

    [Key(6)]
    public int Stock { get; init; }

    [Key(7)]
    public double Rating { get; init; }

    [Key(8)]
    public DateTimeOffset UpdatedAt { get; init; }

    [Key(9)]
    public IReadOnlyList<ProductVariant> Variants { get; init; } = [];

    // Records compare lists by reference; the harness checks that every contender returns the same content.
    public bool Equals(Product? other) =>
        other is not null
        && Id == other.Id && Sku == other.Sku && Name == other.Name && Description == other.Description
        && Category == other.Category && Price == other.Price && Stock == other.Stock && Rating.Equals(other.Rating)
        && UpdatedAt == other.UpdatedAt && Variants.SequenceEqual(other.Variants);

    public override int GetHashCode() => HashCode.Combine(Id, Sku, Price, UpdatedAt, Variants.Count);
}

/// <summary>One of the ~5 small child objects of a <see cref="Product"/>.</summary>
[MessagePackObject]
public sealed record ProductVariant
{
    [Key(0)]
    public string Code { get; init; } = string.Empty;

    [Key(1)]
    public string Colour { get; init; } = string.Empty;

    [Key(2)]
    public string Size { get; init; } = string.Empty;

    [Key(3)]
    public decimal PriceDelta { get; init; }

    [Key(4)]
    public int Stock { get; init; }
}

/// <summary>Deterministic sample products, so every contender stores and returns the same content.</summary>
public static class ProductSample
{
    private static readonly string[] Colours = ["graphite", "sand", "ocean", "forest", "crimson"];
    private static readonly string[] Sizes = ["XS", "S", "M", "L", "XL"];

    public static Product Create(int id) => new()
    {
        Id = id,
        Sku = $"SKU-{id:D8}-EU",
        Name = $"Trail running jacket, model {id}",
        Description = "Lightweight, windproof and water-repellent shell with taped seams, a stowable hood, two zipped hand " +
                      "pockets, reflective details and an adjustable hem. Packs into its own chest pocket.",
        Category = "outdoor/apparel/jackets",
        Price = 129.95m + (id % 7),
        Stock = 40 + (id % 13),
        Rating = 4.25 + ((id % 5) / 10.0),
        UpdatedAt = new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.FromHours(1)).AddMinutes(id % 1000),
        Variants = [.. Enumerable.Range(0, 5).Select(i => new ProductVariant
        {
            Code = $"V{id:D6}-{i}",
            Colour = Colours[i],
            Size = Sizes[i],
            PriceDelta = i * 2.5m,
            Stock = 3 + i,
        })],
    };
}
