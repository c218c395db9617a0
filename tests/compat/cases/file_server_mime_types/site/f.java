body of .java
