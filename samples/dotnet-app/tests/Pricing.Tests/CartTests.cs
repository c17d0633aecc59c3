using Pricing;

namespace Pricing.Tests;

public sealed class CartTests
{
    // DindBuild's failure path is exercised with SAMPLE_FAIL=1
    // (./build.sh DindTest --context samples/dotnet-app --test-env SAMPLE_FAIL=1): exactly this test then fails.
    private static readonly bool FailOne = Environment.GetEnvironmentVariable("SAMPLE_FAIL") == "1";

    [Fact]
    public void Subtotal_adds_every_line()
    {
        var cart = new Cart().Add("tea", 3.50m, 2).Add("cake", 2.25m);

        Assert.Equal(FailOne ? 9.00m : 9.25m, cart.Subtotal);
    }

    [Fact]
    public void An_empty_cart_costs_nothing() => Assert.Equal(0m, new Cart().Total());

    [Theory]
    [InlineData(0, 20.00)]
    [InlineData(10, 18.00)]
    [InlineData(100, 0.00)]
    public void Percent_off_takes_that_share_of_the_subtotal(int percent, double expected)
    {
        var cart = new Cart().Add("book", 10m, 2);

        Assert.Equal((decimal)expected, cart.Total(new PercentOff(percent)));
    }

    [Fact]
    public void Totals_are_rounded_to_cents_away_from_zero() =>
        Assert.Equal(0.68m, new Cart().Add("sweet", 0.225m, 3).Total());

    [Fact]
    public void Three_for_two_charges_two_of_every_three()
    {
        var cart = new Cart().Add("mug", 4m, 7).Add("tea", 3m);

        Assert.Equal(23m, cart.Total(new BuyNPayForNMinusOne("mug", 3)));
    }

    [Fact]
    public void A_percentage_over_100_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PercentOff(101));

    [Fact]
    public void A_line_needs_a_positive_quantity() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Cart().Add("tea", 1m, 0));
}
