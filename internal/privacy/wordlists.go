package privacy

import "strings"

// Words that are in the name lists but, capitalized in running text, almost never are a
// person's name: function words, countries, nationalities, weekdays, and the words that end
// organisation names.

var notNameWords = func() map[string]bool {
	m := map[string]bool{}
	for _, list := range []string{functionWords, countryWords, regionWords, nationalityWords, weekdayWords, otherNotNames} {
		for _, w := range strings.Fields(list) {
			m[w] = true
		}
	}
	return m
}()

// multiWordPlaces are countries and regions of several words; a name span that is one of them
// is dropped.
var multiWordPlaces = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Split(multiWordPlaceList, ",") {
		m[strings.TrimSpace(p)] = true
	}
	return m
}()

// orgSuffixes end organisation names: "Smith Ltd", "Boston Consulting Group".
var orgSuffixes = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`ltd ltd. limited inc inc. incorporated llc llp plc corp corp. corporation co co. company group gmbh ag sa s.a. sarl srl spa bv nv oy ab as asa kk pty pte holdings partners associates services solutions technologies systems consulting industries international enterprises labs bank insurance media news press software networks capital
ventures health pharma pharmaceuticals energy motors airlines records studios productions publishing
logistics movers realty properties foods brands stores university college institute foundation hospital clinic school agency ministry department council committee club hotel restaurant
app apps research resources biosciences bioscience sciences analytics lines report digital dynamics robotics
therapeutics telecom communications electronics engineering construction`) {
		m[w] = true
	}
	return m
}()

// ambiguousPlaceWords are places that are also common first names (Georgia, Jordan): weak
// evidence either way.
var ambiguousPlaceWords = map[string]bool{"georgia": true, "jordan": true, "chad": true, "israel": true,
	"india": true, "kenya": true, "jersey": true, "june": true, "april": true, "may": true, "august": true,
	"florence": true, "victoria": true, "virginia": true, "austin": true, "dallas": true, "sydney": true,
	"paris": true, "lincoln": true, "washington": true, "orlando": true, "phoenix": true, "chelsea": true,
	"florida": true, "montana": true, "nevada": true, "maine": true, "dakota": true, "carolina": true}

func isNotName(w string) bool {
	var buf [32]byte
	if len(w) > len(buf) {
		return false
	}
	for i := 0; i < len(w); i++ {
		buf[i] = lowerASCII(w[i])
	}
	return notNameWords[string(buf[:len(w)])]
}

const functionWords = `a an the and or but nor so yet for of in on at to by with from into onto upon about above
across after against along amid among around as before behind below beneath beside besides between beyond
despite down during except inside like near off out outside over past since than through throughout till
toward towards under underneath unlike until up via within without i me my mine myself we us our ours you
your yours he him his she her hers it its they them their theirs this that these those who whom whose which
what where when why how all any both each few more most other some such no not only own same too very can
will just should now is are was were be been being have has had do does did if then else here there also
please thanks hello hi dear yes okay ok well let lets our mr mrs ms dr sir madam new old good great best
first last next dear re fw fwd subject note notes regards sincerely cheers best kind warm`

const weekdayWords = `monday tuesday wednesday thursday friday saturday sunday january february march
july september october november december`

const countryWords = `afghanistan albania algeria andorra angola anguilla antarctica argentina armenia aruba
australia austria azerbaijan bahamas bahrain bangladesh barbados belarus belgium belize benin bermuda
bhutan bolivia bosnia botswana brazil brunei bulgaria burkina burundi cambodia cameroon canada chile
china colombia comoros congo croatia cuba curacao cyprus czechia czech denmark djibouti dominica ecuador
egypt eritrea estonia eswatini ethiopia fiji finland france gabon gambia germany ghana gibraltar
greece greenland grenada guadeloupe guam guatemala guernsey guinea guyana haiti honduras hungary iceland
india indonesia iran iraq ireland italy jamaica japan kazakhstan kiribati
korea kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania
luxembourg macao macau madagascar malawi malaysia maldives mali malta martinique mauritania mauritius
mayotte mexico micronesia moldova monaco mongolia montenegro montserrat morocco mozambique myanmar
namibia nauru nepal netherlands nicaragua niger nigeria niue norway oman pakistan palau palestine panama
paraguay peru philippines poland portugal qatar reunion romania russia rwanda samoa senegal serbia
seychelles singapore slovakia slovenia somalia spain sudan suriname svalbard sweden switzerland syria
taiwan tajikistan tanzania thailand timor togo tokelau tonga trinidad tunisia turkey turkmenistan tuvalu
uganda ukraine uruguay uzbekistan vanuatu vatican venezuela vietnam yemen zambia zimbabwe england scotland
wales britain europe asia africa america antarctica oceania`

// regionWords are US states that are no one's name (Florida, Georgia, Montana… are, and are
// in ambiguousPlaceWords).
const regionWords = `alabama alaska arizona arkansas california colorado connecticut delaware hawaii idaho
illinois indiana iowa kansas kentucky louisiana maryland massachusetts michigan minnesota mississippi missouri
nebraska ohio oklahoma oregon pennsylvania tennessee texas utah vermont wisconsin wyoming`

const nationalityWords = `american british english scottish welsh irish canadian australian german french
italian spanish portuguese dutch belgian swiss austrian swedish norwegian danish finnish icelandic polish
czech slovak hungarian romanian bulgarian greek turkish russian ukrainian chinese japanese korean indian
pakistani brazilian mexican argentinian chilean peruvian colombian cuban african nigerian kenyan egyptian
moroccan israeli iranian iraqi arab arabic european asian latin catholic christian muslim jewish hindu
buddhist thai vietnamese filipino indonesian malaysian singaporean taiwanese mongolian nepalese
bengali persian afghan kurdish lebanese syrian jordanian saudi emirati qatari ethiopian somali ghanaian
south northern southern eastern western`

const otherNotNames = `bot user assistant admin system customer client agent team support staff manager
street road avenue lane drive boulevard court suite apt apartment unit box city state county province
north south east west central national royal federal global local general public private office
princess prince king queen duke duchess earl baron baroness emperor empress pope saint holy
fax phone mobile email tel bearer basic authorization token password`

const multiWordPlaceList = `united states, united kingdom, united arab emirates, new zealand, south africa,
saudi arabia, el salvador, costa rica, puerto rico, sri lanka, new guinea, papua new guinea, equatorial
guinea, guinea bissau, sierra leone, burkina faso, cape verde, czech republic, dominican republic, central
african republic, south korea, north korea, south sudan, east timor, timor leste, ivory coast, hong kong,
new york, los angeles, san francisco, las vegas, new caledonia, french polynesia, faroe islands, cayman
islands, marshall islands, solomon islands, virgin islands, cook islands, bosnia and herzegovina,
trinidad and tobago, antigua and barbuda, saint lucia, san marino, vatican city, north macedonia,
western sahara, great britain, northern ireland, south georgia, american samoa, saint helena, saint
vincent, saint kitts, sao tome, são tomé`
